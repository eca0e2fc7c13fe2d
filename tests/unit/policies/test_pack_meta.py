"""The pack as a whole: every documented constraint is a policy, named and described alike."""

import ast
import re

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from tests.conftest import ROOT

PACK = ROOT / "policies"
NAME = re.compile(r"^vpn(-[a-z0-9]+)+-(disallow|enforce|configure|missing)(-[a-z0-9]+)+$")

# One entry per constraint family in the issue; removing a rule from the pack fails here.
EXPECTED = {
    "vpn-subnets-disallow-overlap": "stack",
    "vpn-peer-subnets-disallow-reserved-ranges": "resource",
    "vpn-peer-subnets-disallow-connected-overlap": "resource",
    "vpn-endpoint-group-enforce-valid-cidrs": "resource",
    "vpn-gateway-enforce-interconnect-capacity": "stack",
    "vpn-tunnel-addresses-enforce-link-local-30": "stack",
    "vpn-tunnel-addresses-disallow-reuse": "stack",
    "vpn-site-connection-enforce-public-peer-address": "resource",
    "vpn-ike-policy-enforce-ikev2": "resource",
    "vpn-crypto-policy-disallow-weak-algorithms": "resource",
    "vpn-crypto-policy-enforce-strong-dh-group": "resource",
    "vpn-crypto-policy-enforce-lifetime": "resource",
    "vpn-ipsec-policy-enforce-esp-tunnel": "resource",
    "vpn-site-connection-enforce-psk-strength": "resource",
    "vpn-site-connection-enforce-dpd": "resource",
    "vpn-site-connection-enforce-mtu": "resource",
    "vpn-site-connection-enforce-admin-state-up": "resource",
    "vpn-site-connection-enforce-endpoint-groups": "resource",
    "vpn-site-connection-enforce-endpoint-group-types": "stack",
    "vpn-connection-pair-enforce-shared-crypto": "stack",
    "vpn-site-connections-configure-shared-crypto": "stack",
    "vpn-connection-pair-enforce-ha-addressing": "stack",
}


def _pack():
    from pack import RULES, pack_args

    return RULES, pack_args()


def test_every_constraint_is_in_the_pack():
    _, args = _pack()
    kinds = {
        p.name: ("stack" if isinstance(p, StackValidationPolicy) else "resource")
        for p in args["policies"]
    }
    assert kinds == EXPECTED


def test_every_rule_module_is_assembled():
    rules, _ = _pack()
    files = {p.stem for p in (PACK / "sitevpn_policies" / "rules").glob("vpn_*.py")}
    assert {r.__name__.rsplit(".", 1)[-1] for r in rules} == files


def test_names_descriptions_and_remediation():
    rules, _ = _pack()
    names = [r.POLICY.name for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        policy = rule.POLICY
        assert NAME.match(policy.name), policy.name
        assert rule.__name__.rsplit(".", 1)[-1] == policy.name.replace("-", "_")
        assert rule.__doc__.strip() == policy.name
        d = policy.description
        assert d[0].isupper() and d.endswith(".") and "\n" not in d, policy.name
        assert d.count(". ") == 0, f"{policy.name}: one sentence"
        assert len(d) <= 160, policy.name
        assert policy.remediation_steps and len(policy.remediation_steps) > 20
        assert policy.severity is not None and policy.enforcement_level is not None
        assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)
        if policy.config_schema:
            for key, spec in policy.config_schema.properties.items():
                assert "default" in spec and spec.get("description"), f"{policy.name}.{key}"


def test_main_only_assembles_the_pack():
    tree = ast.parse((PACK / "__main__.py").read_text())
    body = [
        n
        for n in tree.body
        if not isinstance(n, ast.Expr | ast.Import | ast.ImportFrom)
        or (isinstance(n, ast.Expr) and not isinstance(n.value, ast.Call | ast.Constant))
    ]
    assert body == []
    calls = [
        n.value for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
    ]
    assert [c.func.id for c in calls] == ["PolicyPack"]


def test_policies_stand_alone():
    for path in PACK.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for module in modules:
                    root = module.split(".")[0]
                    assert root not in ("sitevpn", "offline_engine", "tests"), f"{path}: {module}"
    requirements = (PACK / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements and "netaddr" in requirements


def test_pack_manifest():
    manifest = (PACK / "PulumiPolicy.yaml").read_text()
    assert "name: python" in manifest and "version:" in manifest


def test_readme_lists_every_policy_with_its_level():
    rules, _ = _pack()
    readme = (ROOT / "README.md").read_text()
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in readme.splitlines()
        if line.startswith("| `vpn-")
    }
    for rule in rules:
        policy = rule.POLICY
        assert policy.name in rows, f"README misses {policy.name}"
        assert f"| {policy.enforcement_level.value} |" in rows[policy.name]
