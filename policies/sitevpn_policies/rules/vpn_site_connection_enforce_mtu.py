"""vpn-site-connection-enforce-mtu"""

from ..frame import Severity, resource_rule
from ..support import SITE_CONNECTION


@resource_rule(
    types={SITE_CONNECTION},
    description="Site connection MTU must be at least 68.",
    severity=Severity.MEDIUM,
    remediation="Set mtu to 68 or more (1500 unless the path needs less).",
    config={
        "minMtu": {
            "type": "integer",
            "minimum": 68,
            "default": 68,
            "description": "Smallest MTU allowed (IPv4 minimum: 68).",
        }
    },
)
def POLICY(rule):
    """The MTU is at least the IPv4 minimum."""
    mtu, low = rule.prop("mtu"), rule.config("minMtu")
    if mtu < low:
        rule.report("mtu", mtu, f"must be at least {low:g}")
