"""vpn-peer-subnets-disallow-connected-overlap"""

from ..frame import Severity, resource_rule
from ..support import ENDPOINT_GROUP, SITE_CONNECTION, peer_overlaps


@resource_rule(
    types={ENDPOINT_GROUP, SITE_CONNECTION},
    description="Peer subnets must not overlap networks the VPC already reaches (connectedCidrs).",
    severity=Severity.HIGH,
    remediation="List the CIDRs of Direct Connect / Cloud Connect / peering routes in "
    "connectedCidrs and keep the VPN's peer subnets disjoint from them, or route those networks "
    "over one path.",
    config={
        "connectedCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "CIDRs the VPC already reaches (Direct/Cloud Connect, peering).",
        }
    },
)
def POLICY(rule):
    """No peer subnet overlaps a network the VPC already reaches another way."""
    for peer, other in peer_overlaps(rule.args, rule.config("connectedCidrs"), "connected"):
        rule.report(
            peer.label, str(peer.net), f"overlaps {other.label}, which the VPC already reaches"
        )
