"""site-vpn's pack with every validation replaced by one that does nothing: the policy SDK's cost
for 22 declared policies, so the benchmark can tell it apart from what our checks cost."""

import importlib.util
import sys
from pathlib import Path

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

# The real pack's module list. Its pack.py shares this file's module name, so load it by path.
_POLICIES = Path(__file__).resolve().parents[2] / "policies"
sys.path.insert(0, str(_POLICIES))
_spec = importlib.util.spec_from_file_location("site_vpn_pack", _POLICIES / "pack.py")
_real = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_real)
RULES = _real.RULES


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
