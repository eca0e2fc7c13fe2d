"""A pack that checks nothing: the protocol's and the policy SDK's own cost, the floor our pack
is measured against (the SDK refuses a pack without policies)."""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy


def _nothing(args, report):
    """Check nothing."""


def pack_args() -> dict:
    """Keyword arguments for pulumi_policy.PolicyPack."""
    return {
        "name": "empty",
        "enforcement_level": EnforcementLevel.MANDATORY,
        "policies": [
            ResourceValidationPolicy(
                name="noop-resource", description="Nothing.", validate=_nothing
            ),
            StackValidationPolicy(name="noop-stack", description="Nothing.", validate=_nothing),
        ],
    }
