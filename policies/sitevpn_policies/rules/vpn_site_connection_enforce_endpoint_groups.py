"""vpn-site-connection-enforce-endpoint-groups"""

from ..frame import Severity, resource_rule
from ..support import SITE_CONNECTION, is_set, peek


@resource_rule(
    types={SITE_CONNECTION},
    description="Site connections must use local and peer endpoint groups, not legacy peer_cidrs.",
    severity=Severity.MEDIUM,
    remediation="Create a local EndpointGroup (type subnet) and a peer EndpointGroup (type cidr) "
    "and set local_ep_group_id/peer_ep_group_id; remove peer_cidrs and the service's subnet_id.",
)
def POLICY(rule):
    """Both endpoint groups are set and the legacy peer_cidrs is not mixed in."""
    for field in ("localEpGroupId", "peerEpGroupId"):
        if not is_set(rule.props, field):
            rule.report(
                field,
                peek(rule.props, field),
                "endpoint groups are required (local: type subnet, peer: type cidr)",
            )
    if is_set(rule.props, "peerCidrs"):
        rule.report(
            "peerCidrs",
            peek(rule.props, "peerCidrs"),
            "legacy peer_cidrs must not be used; put the CIDRs in a peer endpoint group",
        )
