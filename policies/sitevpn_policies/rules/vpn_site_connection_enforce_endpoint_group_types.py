"""vpn-site-connection-enforce-endpoint-group-types"""

from ..frame import Severity, stack_rule
from ..support import SITE_CONNECTION, dependency

EXPECTED = {"localEpGroupId": "subnet", "peerEpGroupId": "cidr"}


@stack_rule(
    description="A site connection's local endpoint group must be type subnet and its peer group "
    "type cidr.",
    severity=Severity.HIGH,
    remediation="Put the VPC's subnet ids in a type=subnet group (subnets attached to the "
    "service's router) and the on-premises CIDRs in a type=cidr group.",
)
def POLICY(rule):
    """A connection's local group is of type subnet and its peer group of type cidr."""
    for conn in rule.resources(SITE_CONNECTION):
        for field, wanted in EXPECTED.items():
            with rule.guard():
                group = dependency(conn, field)
                if group is None:
                    continue  # an existing group outside this stack: nothing to judge here
                kind = group.props.get("type")
                if kind != wanted:
                    rule.report(
                        group,
                        "type",
                        kind,
                        f"is used as {field} of {conn.name}, which needs type {wanted}",
                    )
