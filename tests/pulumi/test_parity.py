"""The offline plan agrees with the real engine: for the example stacks and a generated one,
`site-vpn plan --format json` (no cloud, no CLI) and `pulumi preview --json` (the real engine,
language host and providers against the suite's cloud) list the same resources (URNs), types and
inputs. Values unknown to either side during a preview (ids of resources still to be made, the
secret PSK offline) are set aside, and so is what the provider adds itself (``__defaults``)."""

import pytest

from bench.sites import hub_config
from tests.conftest import stack_config
from tests.engine import offline_plan

# How each side writes a value it cannot know during a preview.
ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN = {ENGINE_UNKNOWN, "[unknown]", "[secret]"}
STACK_TYPE = "pulumi:pulumi:Stack"
# What pulumi-openstack's Check fills in from the Terraform schema's defaults (the bridge does
# not list it in __defaults); the only such key in these stacks, seen on the real engine.
PROVIDER_DEFAULTS = {"openstack:networking/subnet:Subnet": {"enableDhcp": True}}


def _known(value):
    """A value with the provider's bookkeeping removed; None where it is unknown."""
    if isinstance(value, str) and value in UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items() if k != "__defaults"}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return value


def _disagreements(engine: dict, offline: dict, path: str = "") -> list[str]:
    """Where two input trees differ, unknowns on either side aside."""
    if engine is None or offline is None:
        return []
    if isinstance(engine, dict) and isinstance(offline, dict):
        out = [f"{path}.{k}: only the engine has it" for k in engine.keys() - offline.keys()]
        out += [f"{path}.{k}: only the plan has it" for k in offline.keys() - engine.keys()]
        for key in engine.keys() & offline.keys():
            out += _disagreements(engine[key], offline[key], f"{path}.{key}")
        return out
    if isinstance(engine, list) and isinstance(offline, list) and len(engine) == len(offline):
        return [
            d
            for i, (a, b) in enumerate(zip(engine, offline, strict=True))
            for d in _disagreements(a, b, f"{path}[{i}]")
        ]
    return [] if engine == offline else [f"{path}: engine {engine!r}, plan {offline!r}"]


def engine_view(preview: dict) -> dict[str, tuple[str, dict]]:
    """URN -> (type, inputs) of every resource `pulumi preview --json` would create, without
    the provider's own defaults (PROVIDER_DEFAULTS, where the value is the default)."""
    view = {}
    for step in preview["steps"]:
        type_, inputs = step["newState"]["type"], _known(step["newState"].get("inputs", {}))
        if type_ == STACK_TYPE:
            continue
        for key, default in PROVIDER_DEFAULTS.get(type_, {}).items():
            if inputs.get(key) == default:
                del inputs[key]
        view[step["urn"]] = (type_, inputs)
    return view


def plan_view(plan: dict) -> dict[str, tuple[str, dict]]:
    """The same from `site-vpn plan --format json` (default providers are listed there only:
    the engine's preview makes them without a step of their own)."""
    return {
        r["urn"]: (r["type"], _known(r["inputs"]))
        for r in plan["resources"]
        if not r["type"].startswith("pulumi:providers:")
    }


CASES = {
    "dev": lambda: stack_config("dev"),
    "prod": lambda: stack_config("prod"),
    "generated": lambda: hub_config(12, subnets_per_site=3),
}


@pytest.mark.parametrize("name", list(CASES))
def test_offline_plan_and_real_preview_agree(engine_as, existing_vpc, name):
    values = CASES[name]()
    stack = engine_as("member").stack(name, values)  # no PSK: the generator's resources too
    preview = stack.preview("--json").json()
    engine, plan = engine_view(preview), plan_view(offline_plan(stack))

    assert sorted(engine) == sorted(plan)
    assert {u: t for u, (t, _) in engine.items()} == {u: t for u, (t, _) in plan.items()}
    differences = [
        f"{urn.rsplit('::', 1)[-1]}{d}"
        for urn in engine
        for d in _disagreements(engine[urn][1], plan[urn][1])
    ]
    assert differences == []
    assert len(engine) > 20
