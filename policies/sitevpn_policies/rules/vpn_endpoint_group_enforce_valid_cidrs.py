"""vpn-endpoint-group-enforce-valid-cidrs"""

from ..checks.networks import parse_cidr
from ..frame import Severity, resource_rule
from ..support import ENDPOINT_GROUP, SITE_CONNECTION, peer_cidr_fields


@resource_rule(
    types={ENDPOINT_GROUP, SITE_CONNECTION},
    description="Peer subnets must be IPv4 CIDRs without host bits, at most 50 per connection.",
    severity=Severity.MEDIUM,
    remediation="Write each on-premises subnet as its network address (172.16.0.0/16, not "
    "172.16.0.1/16); summarize subnets or split sites when there are more than 50.",
    config={
        "maxPeerSubnets": {
            "type": "integer",
            "minimum": 1,
            "default": 50,
            "description": "Most peer subnets one connection may carry.",
        }
    },
)
def POLICY(rule):
    """Peer CIDRs are IPv4 networks without host bits, at most maxPeerSubnets of them."""
    fields = peer_cidr_fields(rule.args)
    for field, value in fields:
        _, reason = parse_cidr(value)
        if reason:
            rule.report(field, value, reason)
    limit = rule.config("maxPeerSubnets")
    if len(fields) > limit:
        field = "endpoints" if rule.type == ENDPOINT_GROUP else "peerCidrs"
        rule.report(
            field, f"{len(fields)} subnets", f"at most {limit:g} peer subnets per connection"
        )
