"""vpn-site-connection-enforce-psk-strength"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
)

from ..checks.psk import psk_problems
from ..support import SITE_CONNECTION, config, resource_policy_for, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "minPskLength": {
            "type": "integer",
            "minimum": 8,
            "maximum": 128,
            "default": 16,
            "description": "Shortest pre-shared key allowed (the reference allows 8-128).",
        }
    }
)


@resource_policy_for({SITE_CONNECTION})
def validate(args, report):
    """The PSK is long enough, mixes at least three character classes and uses only the
    documented specials. Messages never contain the key."""
    psk = args.props.get("psk")
    if psk is None:
        report(
            violation(
                args.name,
                args.resource_type,
                "psk",
                None,
                "a pre-shared key is required",
                show=False,
            )
        )
        return
    for problem in psk_problems(str(psk), int(config(args, SCHEMA, "minPskLength"))):
        report(violation(args.name, args.resource_type, "psk", None, problem, show=False))


POLICY = ResourceValidationPolicy(
    name="vpn-site-connection-enforce-psk-strength",
    description="Site connection pre-shared keys must be 16-128 characters with at least three "
    "of upper case, lower case, digits and the allowed specials.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        "Set the PSK from a secret (`pulumi config set --secret psk ...`) or let site-vpn "
        "generate one (32 characters, pulumi-random). Allowed specials: ~!@#$%^*()-_+={},./:;"
    ),
    config_schema=SCHEMA,
    validate=validate,
)
