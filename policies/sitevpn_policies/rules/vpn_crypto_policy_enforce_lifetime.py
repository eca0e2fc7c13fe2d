"""vpn-crypto-policy-enforce-lifetime"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..support import IKE_POLICY, IPSEC_POLICY, config, prop, resource_policy_for, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "minLifetimeSeconds": {
            "type": "integer",
            "minimum": 60,
            "default": 60,
            "description": "Shortest SA lifetime allowed (neutron: 60).",
        },
        "maxLifetimeSeconds": {
            "type": "integer",
            "minimum": 60,
            "default": 604800,
            "description": "Longest SA lifetime allowed (seven days).",
        },
    }
)


@resource_policy_for({IKE_POLICY, IPSEC_POLICY})
def validate(args, report):
    """Lifetimes are in seconds (neutron's only unit) and within the allowed range."""
    lifetimes, defaulted = prop(args.resource_type, args.props, "lifetimes")
    low, high = (
        config(args, SCHEMA, "minLifetimeSeconds"),
        config(args, SCHEMA, "maxLifetimeSeconds"),
    )
    for index, lifetime in enumerate(lifetimes or []):
        field = f"lifetimes[{index}]"
        units = lifetime.get("units") or "seconds"
        value = lifetime.get("value")
        if units != "seconds":
            report(
                violation(
                    args.name,
                    args.resource_type,
                    f"{field}.units",
                    units,
                    "neutron supports seconds only",
                    defaulted=defaulted,
                )
            )
        if value is not None and not low <= value <= high:
            report(
                violation(
                    args.name,
                    args.resource_type,
                    f"{field}.value",
                    value,
                    f"lifetime must be {low:g}-{high:g} seconds",
                    defaulted=defaulted,
                )
            )


POLICY = ResourceValidationPolicy(
    name="vpn-crypto-policy-enforce-lifetime",
    description="IKE and IPsec SA lifetimes must be in seconds and between 60 and 604800.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Set lifetimes=[{'units': 'seconds', 'value': N}] with N in range (site-vpn uses 86400 "
        "for IKE and 3600 for IPsec)."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
