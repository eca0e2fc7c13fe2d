"""vpn-ike-policy-enforce-ikev2"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..support import IKE_POLICY, config, prop, resource_policy_for, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "allowIkeV1": {
            "type": "boolean",
            "default": False,
            "description": "Allow IKEv1 for peers that cannot speak IKEv2.",
        }
    }
)


@resource_policy_for({IKE_POLICY})
def validate(args, report):
    """IKEv1 is refused unless the pack config allows it."""
    version, defaulted = prop(args.resource_type, args.props, "ikeVersion")
    if version != "v2" and not config(args, SCHEMA, "allowIkeV1"):
        report(
            violation(
                args.name,
                args.resource_type,
                "ikeVersion",
                version,
                "only IKEv2 is allowed",
                defaulted=defaulted,
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-ike-policy-enforce-ikev2",
    description="IKE policies must negotiate IKEv2.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Set ike_version='v2' on the openstack.vpnaas.IkePolicy (pulumi-openstack defaults to "
        "v1). If the customer device cannot do IKEv2, set allowIkeV1: true for this policy in "
        "the policy pack config."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
