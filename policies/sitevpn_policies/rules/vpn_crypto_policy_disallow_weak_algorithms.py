"""vpn-crypto-policy-disallow-weak-algorithms"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..support import (
    IKE_POLICY,
    IPSEC_POLICY,
    Unknowns,
    config,
    prop,
    resource_policy_for,
    violation,
)

SCHEMA = PolicyConfigSchema(
    properties={
        "disallowedAuthAlgorithms": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["sha1", "md5"],
            "description": "Integrity algorithms that are refused.",
        },
        "disallowedEncryptionAlgorithms": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["3des", "des"],
            "description": "Encryption algorithms that are refused.",
        },
    }
)


@resource_policy_for({IKE_POLICY, IPSEC_POLICY})
def validate(args, report):
    """Refuse weak integrity and encryption algorithms on IKE and IPsec policies."""
    unknowns = Unknowns()
    for field, key in (
        ("authAlgorithm", "disallowedAuthAlgorithms"),
        ("encryptionAlgorithm", "disallowedEncryptionAlgorithms"),
    ):
        with unknowns.guard():
            value, defaulted = prop(args.resource_type, args.props, field)
            if value in config(args, SCHEMA, key):
                report(
                    violation(
                        args.name,
                        args.resource_type,
                        field,
                        value,
                        "is a weak algorithm",
                        defaulted=defaulted,
                    )
                )
    unknowns.finish()


POLICY = ResourceValidationPolicy(
    name="vpn-crypto-policy-disallow-weak-algorithms",
    description="IKE and IPsec policies must not use sha1/md5 integrity or 3des/des encryption.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Set auth_algorithm (e.g. sha256) and encryption_algorithm (e.g. aes-256) explicitly on "
        "the IkePolicy and IpSecPolicy: pulumi-openstack defaults to sha1 and aes-128, and "
        "current neutron-vpnaas rejects sha1 outright."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
