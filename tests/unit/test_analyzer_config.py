"""The analyzer client reconciles policy config as the engine does: policy defaults, then the
pack's initial config, then the user's file ("all" first, then per policy)."""

import textwrap

import pytest

from offline_engine import analyzer, runtime

PACK = textwrap.dedent("""
    from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy

    def _always(args, report):
        report(f"limit is {args.get_config()['limit']:g}")

    def pack_args():
        return {
            "name": "tiny",
            "enforcement_level": EnforcementLevel.ADVISORY,
            "initial_config": {"always": {"enforcementLevel": EnforcementLevel.MANDATORY, "limit": 7}},
            "policies": [ResourceValidationPolicy(
                name="always", description="Always reports.", validate=_always,
                config_schema=PolicyConfigSchema(properties={"limit": {"type": "integer", "default": 1}}))],
        }
""")


@pytest.fixture
def capture():
    return runtime.Capture(
        resources=[
            runtime.Registration(
                urn="urn:pulumi:s::p::pkg:index:Thing::thing",
                type="pkg:index:Thing",
                name="thing",
                custom=True,
            )
        ]
    )


@pytest.mark.parametrize(
    ("user", "level", "limit"),
    [
        (None, "mandatory", 7),  # the pack's initial config wins over defaults
        ({"all": "advisory"}, "advisory", 7),  # the user's "all" over the pack
        ({"all": "advisory", "always": "mandatory"}, "mandatory", 7),  # per policy over "all"
        ({"always": {"limit": 3}}, "mandatory", 3),  # user properties over the pack's
    ],
)
def test_reconciliation_order(tmp_path, capture, user, level, limit):
    (tmp_path / "pack.py").write_text(PACK)
    with analyzer.open_pack(tmp_path) as pack:
        pack.configure(user)
        (diagnostic,) = pack.analyze(capture).diagnostics
    assert diagnostic.enforcement_level == level
    assert diagnostic.message.endswith(f"limit is {limit}")
