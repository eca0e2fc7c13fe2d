"""vpn-crypto-policy-enforce-lifetime"""

from ..frame import Severity, resource_rule
from ..support import IKE_POLICY, IPSEC_POLICY


@resource_rule(
    types={IKE_POLICY, IPSEC_POLICY},
    description="IKE and IPsec SA lifetimes must be in seconds and between 60 and 604800.",
    severity=Severity.MEDIUM,
    remediation="Set lifetimes=[{'units': 'seconds', 'value': N}] with N in range (site-vpn uses "
    "86400 for IKE and 3600 for IPsec).",
    config={
        "minLifetimeSeconds": {
            "type": "integer",
            "minimum": 60,
            "default": 60,
            "description": "Shortest SA lifetime allowed (neutron: 60).",
        },
        "maxLifetimeSeconds": {
            "type": "integer",
            "minimum": 60,
            "default": 604800,
            "description": "Longest SA lifetime allowed (seven days).",
        },
    },
)
def POLICY(rule):
    """Lifetimes are in seconds (neutron's only unit) and within the allowed range."""
    low, high = rule.config("minLifetimeSeconds"), rule.config("maxLifetimeSeconds")
    for index, lifetime in enumerate(rule.prop("lifetimes") or []):
        units = lifetime.get("units") or "seconds"
        value = lifetime.get("value")
        if units != "seconds":
            rule.report(f"lifetimes[{index}].units", units, "neutron supports seconds only")
        if value is not None and not low <= value <= high:
            rule.report(
                f"lifetimes[{index}].value", value, f"lifetime must be {low:g}-{high:g} seconds"
            )
