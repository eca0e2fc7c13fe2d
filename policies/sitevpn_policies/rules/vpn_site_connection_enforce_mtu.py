"""vpn-site-connection-enforce-mtu"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..support import SITE_CONNECTION, config, prop, resource_policy_for, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "minMtu": {
            "type": "integer",
            "minimum": 68,
            "default": 68,
            "description": "Smallest MTU allowed (IPv4 minimum: 68).",
        }
    }
)


@resource_policy_for({SITE_CONNECTION})
def validate(args, report):
    """The MTU is at least the IPv4 minimum."""
    mtu, defaulted = prop(args.resource_type, args.props, "mtu")
    low = config(args, SCHEMA, "minMtu")
    if mtu < low:
        report(
            violation(
                args.name,
                args.resource_type,
                "mtu",
                mtu,
                f"must be at least {low:g}",
                defaulted=defaulted,
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-site-connection-enforce-mtu",
    description="Site connection MTU must be at least 68.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set mtu to 68 or more (1500 unless the path needs less).",
    config_schema=SCHEMA,
    validate=validate,
)
