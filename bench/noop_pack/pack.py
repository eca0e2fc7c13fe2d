"""site-vpn's pack with every validation replaced by one that does nothing: the policy SDK's cost
for 22 declared policies, so the benchmark can tell it apart from what our checks cost."""

import sys
from pathlib import Path

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policies"))

from pack import RULES


def _nothing(args, report):
    """Check nothing."""


def pack_args() -> dict:
    """Keyword arguments for pulumi_policy.PolicyPack."""
    policies = []
    for rule in RULES:
        kind = (
            StackValidationPolicy
            if isinstance(rule.POLICY, StackValidationPolicy)
            else ResourceValidationPolicy
        )
        policies.append(
            kind(
                name=rule.POLICY.name,
                description=rule.POLICY.description,
                enforcement_level=rule.POLICY.enforcement_level,
                validate=_nothing,
            )
        )
    return {
        "name": "site-vpn-noop",
        "policies": policies,
        "enforcement_level": RULES[0].POLICY.enforcement_level,
    }
