"""vpn-peer-subnets-disallow-reserved-ranges"""

from ..frame import Severity, resource_rule
from ..support import ENDPOINT_GROUP, SITE_CONNECTION, peer_overlaps


@resource_rule(
    types={ENDPOINT_GROUP, SITE_CONNECTION},
    description="Peer subnets must not contain or overlap reserved ranges such as 100.64.0.0/10 "
    "and 214.0.0.0/8.",
    severity=Severity.HIGH,
    remediation="Renumber or NAT the on-premises subnets out of the reserved ranges; adjust "
    "reservedCidrs in the policy config if your cloud reserves other ranges.",
    config={
        "reservedCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [
                "100.64.0.0/10",
                "214.0.0.0/8",
                "127.0.0.0/8",
                "169.254.0.0/16",
                "224.0.0.0/3",
                "0.0.0.0/8",
            ],
            "description": "Ranges peer subnets must neither contain nor overlap.",
        }
    },
)
def POLICY(rule):
    """No peer subnet overlaps a reserved range."""
    for peer, other in peer_overlaps(rule.args, rule.config("reservedCidrs"), "reserved"):
        rule.report(peer.label, str(peer.net), f"overlaps the reserved range {other.label}")
