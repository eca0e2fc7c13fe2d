"""vpn-endpoint-group-enforce-valid-cidrs"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..checks.networks import parse_cidr
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
        "maxPeerSubnets": {
            "type": "integer",
            "minimum": 1,
            "default": 50,
            "description": "Most peer subnets one connection may carry.",
        }
    }
)


@resource_policy_for({ENDPOINT_GROUP, SITE_CONNECTION})
def validate(args, report):
    """Peer CIDRs are IPv4 networks without host bits, at most maxPeerSubnets of them."""
    fields = peer_cidr_fields(args)
    for field, value in fields:
        _, reason = parse_cidr(value)
        if reason:
            report(violation(args.name, args.resource_type, field, value, reason))
    limit = config(args, SCHEMA, "maxPeerSubnets")
    if len(fields) > limit:
        field = "endpoints" if args.resource_type == ENDPOINT_GROUP else "peerCidrs"
        report(
            violation(
                args.name,
                args.resource_type,
                field,
                f"{len(fields)} subnets",
                f"at most {limit:g} peer subnets per connection",
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-endpoint-group-enforce-valid-cidrs",
    description="Peer subnets must be IPv4 CIDRs without host bits, at most 50 per connection.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Write each on-premises subnet as its network address (172.16.0.0/16, not 172.16.0.1/16); "
        "summarize subnets or split sites when there are more than 50."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
