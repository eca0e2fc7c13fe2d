"""vpn-crypto-policy-enforce-strong-dh-group"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..support import IKE_POLICY, IPSEC_POLICY, config, prop, resource_policy_for, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "allowedDhGroups": {
            "type": "array",
            "items": {"type": "string", "pattern": "^group[0-9]+$"},
            "default": ["group14", "group15", "group16", "group19", "group20", "group21"],
            "description": "Diffie-Hellman groups allowed for IKE and for IPsec PFS.",
        }
    }
)


@resource_policy_for({IKE_POLICY, IPSEC_POLICY})
def validate(args, report):
    """The IKE DH group and the IPsec PFS group must be in the allow-list."""
    group, defaulted = prop(args.resource_type, args.props, "pfs")
    allowed = config(args, SCHEMA, "allowedDhGroups")
    if group not in allowed:
        what = "IKE Diffie-Hellman group" if args.resource_type == IKE_POLICY else "IPsec PFS group"
        report(
            violation(
                args.name,
                args.resource_type,
                "pfs",
                group,
                f"{what} must be one of {', '.join(allowed)}",
                defaulted=defaulted,
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-crypto-policy-enforce-strong-dh-group",
    description="IKE and IPsec PFS Diffie-Hellman groups must be 14 or stronger.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Set pfs to group14 or stronger (site-vpn uses group15) on the IkePolicy and on the "
        "IpSecPolicy; pulumi-openstack defaults to group5. Adjust allowedDhGroups in the policy "
        "config to change the allow-list."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
