"""vpn-site-connection-enforce-dpd"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ..support import SITE_CONNECTION, prop, resource_policy_for, violation

ACTIONS = ("restart", "hold")


@resource_policy_for({SITE_CONNECTION})
def validate(args, report):
    """DPD acts on a dead peer (restart or hold) and its timeout exceeds its interval."""
    dpds, defaulted = prop(args.resource_type, args.props, "dpds")
    for index, dpd in enumerate(dpds or []):
        action = dpd.get("action") or "hold"
        if action not in ACTIONS:
            report(
                violation(
                    args.name,
                    args.resource_type,
                    f"dpds[{index}].action",
                    action,
                    f"must be one of {', '.join(ACTIONS)}",
                    defaulted=defaulted,
                )
            )
        interval, timeout = dpd.get("interval", 30), dpd.get("timeout", 120)
        if interval is not None and timeout is not None and timeout <= interval:
            report(
                violation(
                    args.name,
                    args.resource_type,
                    f"dpds[{index}].timeout",
                    timeout,
                    f"must be greater than the interval ({interval:g} s)",
                    defaulted=defaulted,
                )
            )


POLICY = ResourceValidationPolicy(
    name="vpn-site-connection-enforce-dpd",
    description="Dead peer detection must restart or hold, with a timeout greater than its "
    "interval.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Set dpds=[{'action': 'restart', 'interval': 30, 'timeout': 120}] on the SiteConnection."
    ),
    validate=validate,
)
