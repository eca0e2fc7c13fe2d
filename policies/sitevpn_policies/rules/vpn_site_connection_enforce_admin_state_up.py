"""vpn-site-connection-enforce-admin-state-up"""

from ..frame import EnforcementLevel, Severity, resource_rule
from ..support import SITE_CONNECTION


@resource_rule(
    types={SITE_CONNECTION},
    description="Site connections should be administratively up.",
    # Advisory: taking a tunnel down on purpose (maintenance) is an operator's call.
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation="Set admin_state_up=True, or accept the advisory while the tunnel is down on "
    "purpose.",
)
def POLICY(rule):
    """The connection is administratively up."""
    up = rule.prop("adminStateUp")
    if up is not True:
        rule.report(
            "adminStateUp", up, "the connection is administratively down and carries no traffic"
        )
