"""vpn-peer-subnets-disallow-connected-overlap"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..checks.networks import Tagged, overlapping_pairs, parse_cidr
from ..support import (
    ENDPOINT_GROUP,
    SITE_CONNECTION,
    config,
    peer_cidr_fields,
    resource_policy_for,
    violation,
)

SCHEMA = PolicyConfigSchema(
    properties={
        "connectedCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "CIDRs the VPC already reaches (Direct/Cloud Connect, peering).",
        }
    }
)


@resource_policy_for({ENDPOINT_GROUP, SITE_CONNECTION})
def validate(args, report):
    """No peer subnet overlaps a network the VPC already reaches another way."""
    items = [
        Tagged(net, "connected", text)
        for text in config(args, SCHEMA, "connectedCidrs")
        if (net := parse_cidr(text)[0]) is not None
    ]
    if not items:
        return
    for field, value in peer_cidr_fields(args):
        net, _ = parse_cidr(value)
        if net is not None:
            items.append(Tagged(net, "peer", field))
    for a, b in overlapping_pairs(items):
        if {a.owner, b.owner} == {"peer", "connected"}:
            peer, other = (a, b) if a.owner == "peer" else (b, a)
            report(
                violation(
                    args.name,
                    args.resource_type,
                    peer.label,
                    str(peer.net),
                    f"overlaps {other.label}, which the VPC already reaches",
                )
            )


POLICY = ResourceValidationPolicy(
    name="vpn-peer-subnets-disallow-connected-overlap",
    description="Peer subnets must not overlap networks the VPC already reaches (connectedCidrs).",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "List the CIDRs of Direct Connect / Cloud Connect / peering routes in connectedCidrs and "
        "keep the VPN's peer subnets disjoint from them, or route those networks over one path."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
