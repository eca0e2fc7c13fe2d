"""vpn-site-connection-enforce-admin-state-up"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ..support import SITE_CONNECTION, prop, resource_policy_for, violation


@resource_policy_for({SITE_CONNECTION})
def validate(args, report):
    """The connection is administratively up."""
    up, defaulted = prop(args.resource_type, args.props, "adminStateUp")
    if up is not True:
        report(
            violation(
                args.name,
                args.resource_type,
                "adminStateUp",
                up,
                "the connection is administratively down and carries no traffic",
                defaulted=defaulted,
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-site-connection-enforce-admin-state-up",
    description="Site connections should be administratively up.",
    # Advisory: taking a tunnel down on purpose (maintenance) is an operator's call.
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation_steps=(
        "Set admin_state_up=True, or accept the advisory while the tunnel is down on purpose."
    ),
    validate=validate,
)
