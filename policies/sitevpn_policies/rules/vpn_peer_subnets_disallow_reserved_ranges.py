"""vpn-peer-subnets-disallow-reserved-ranges"""

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
    }
)


@resource_policy_for({ENDPOINT_GROUP, SITE_CONNECTION})
def validate(args, report):
    """No peer subnet overlaps a reserved range."""
    items = [
        Tagged(net, "reserved", text)
        for text in config(args, SCHEMA, "reservedCidrs")
        if (net := parse_cidr(text)[0]) is not None
    ]
    for field, value in peer_cidr_fields(args):
        net, _ = parse_cidr(value)
        if net is not None:
            items.append(Tagged(net, "peer", field))
    for a, b in overlapping_pairs(items):
        if {a.owner, b.owner} == {"peer", "reserved"}:
            peer, reserved = (a, b) if a.owner == "peer" else (b, a)
            report(
                violation(
                    args.name,
                    args.resource_type,
                    peer.label,
                    str(peer.net),
                    f"overlaps the reserved range {reserved.label}",
                )
            )


POLICY = ResourceValidationPolicy(
    name="vpn-peer-subnets-disallow-reserved-ranges",
    description="Peer subnets must not contain or overlap reserved ranges such as 100.64.0.0/10 "
    "and 214.0.0.0/8.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Renumber or NAT the on-premises subnets out of the reserved ranges; adjust reservedCidrs "
        "in the policy config if your cloud reserves other ranges."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
