"""vpn-peer-subnets-disallow-connected-overlap"""

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
    for peer, other in peer_overlaps(args, config(args, SCHEMA, "connectedCidrs"), "connected"):
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
