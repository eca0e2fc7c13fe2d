"""vpn-ipsec-policy-enforce-esp-tunnel"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ..support import IPSEC_POLICY, Unknowns, prop, resource_policy_for, violation

REQUIRED = {
    "transformProtocol": ("esp", "the strongSwan/Libreswan drivers support esp only"),
    "encapsulationMode": ("tunnel", "site-to-site traffic needs tunnel mode"),
}


@resource_policy_for({IPSEC_POLICY})
def validate(args, report):
    """Transform esp and encapsulation tunnel."""
    unknowns = Unknowns()
    for field, (wanted, why) in REQUIRED.items():
        with unknowns.guard():
            value, defaulted = prop(args.resource_type, args.props, field)
            if value != wanted:
                report(
                    violation(
                        args.name,
                        args.resource_type,
                        field,
                        value,
                        f"must be {wanted}: {why}",
                        defaulted=defaulted,
                    )
                )
    unknowns.finish()


POLICY = ResourceValidationPolicy(
    name="vpn-ipsec-policy-enforce-esp-tunnel",
    description="IPsec policies must use the esp transform in tunnel mode.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Set transform_protocol='esp' and encapsulation_mode='tunnel' on the IpSecPolicy."
    ),
    validate=validate,
)
