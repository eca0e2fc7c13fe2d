"""vpn-site-connection-enforce-endpoint-groups"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ..support import SITE_CONNECTION, is_set, peek, resource_policy_for, violation


@resource_policy_for({SITE_CONNECTION})
def validate(args, report):
    """Both endpoint groups are set and the legacy peer_cidrs is not mixed in."""
    props = args.props
    for field in ("localEpGroupId", "peerEpGroupId"):
        if not is_set(props, field):
            report(
                violation(
                    args.name,
                    args.resource_type,
                    field,
                    peek(props, field),
                    "endpoint groups are required (local: type subnet, peer: type cidr)",
                )
            )
    if is_set(props, "peerCidrs"):
        report(
            violation(
                args.name,
                args.resource_type,
                "peerCidrs",
                peek(props, "peerCidrs"),
                "legacy peer_cidrs must not be used; put the CIDRs in a peer endpoint group",
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-site-connection-enforce-endpoint-groups",
    description="Site connections must use local and peer endpoint groups, not legacy peer_cidrs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Create a local EndpointGroup (type subnet) and a peer EndpointGroup (type cidr) and set "
        "local_ep_group_id/peer_ep_group_id; remove peer_cidrs and the service's subnet_id."
    ),
    validate=validate,
)
