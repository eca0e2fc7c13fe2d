"""vpn-peer-subnets-disallow-reserved-ranges"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..support import (
    ENDPOINT_GROUP,
    SITE_CONNECTION,
    config,
    peer_overlaps,
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
    for peer, other in peer_overlaps(args, config(args, SCHEMA, "reservedCidrs"), "reserved"):
        report(
            violation(
                args.name,
                args.resource_type,
                peer.label,
                str(peer.net),
                f"overlaps the reserved range {other.label}",
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
