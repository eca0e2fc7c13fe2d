"""examples/ work: the Python stack runs and passes the pack; the YAML program matches the schema."""

import json
import re

import pytest
import yaml

from offline_engine import analyzer, runtime
from tests.conftest import ROOT, FakeOpenStack

EXAMPLES = ROOT / "examples"
SCHEMA = json.loads((ROOT / "components" / "schema.json").read_text())


def test_python_app_stack_runs_and_passes_the_pack():
    capture = runtime.run_project(
        EXAMPLES / "python-app-stack" / "__main__.py",
        project="app-with-vpn",
        stack="dev",
        config={"app-with-vpn:externalNetwork": "public"},
        preview=False,
        backend=FakeOpenStack(),
    )
    assert capture.error is None, capture.error
    assert capture.named("hq-link").type == "sitevpn:index:SiteVpn"
    assert len(capture.of_type("openstack:vpnaas/siteConnection:SiteConnection")) == 2
    rules = capture.of_type("openstack:networking/secGroupRule:SecGroupRule")
    assert {r.inputs["securityGroupId"] for r in rules} == {"web-id"}
    local = capture.named("hq-link-gateway-a-local").inputs["endpoints"]
    assert local == ["app-web-id", "app-data-id"]
    with analyzer.open_pack(ROOT / "policies") as pack:
        report = pack.analyze(capture)
    assert report.mandatory == []


INTERPOLATION = re.compile(r"^\$\{[^}]+\}$")


def _check(value, spec, where, problems):
    """Check one YAML value against a schema property spec, recursively."""
    if isinstance(value, str) and INTERPOLATION.match(value):
        return  # an output of another resource or config: typed by that source
    if "$ref" in spec:
        target = SCHEMA["types"].get(spec["$ref"].removeprefix("#/types/"))
        if target is None:
            problems.append(f"{where}: unknown type {spec['$ref']}")
        elif "enum" in target:
            if value not in {e["value"] for e in target["enum"]}:
                problems.append(f"{where}: {value!r} is not one of {target['enum']}")
        else:
            _check_object(value, target, where, problems)
        return
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return
        for i, item in enumerate(value):
            _check(item, spec["items"], f"{where}[{i}]", problems)
    elif kind == "object":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a map")
            return
        for key, item in value.items():
            _check(item, spec.get("additionalProperties", {}), f"{where}.{key}", problems)
    elif kind == "string" and not isinstance(value, str):
        problems.append(f"{where}: expected a string, got {value!r}")
    elif kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        problems.append(f"{where}: expected an integer, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{where}: expected a boolean, got {value!r}")


def _check_object(
    value, spec, where, problems, properties_key="properties", required_key="required"
):
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object")
        return
    known = spec.get(properties_key, {})
    for key, item in value.items():
        if key not in known:
            problems.append(f"{where}.{key}: not in the schema")
        else:
            _check(item, known[key], f"{where}.{key}", problems)
    for key in spec.get(required_key, []):
        if key not in value:
            problems.append(f"{where}.{key}: required by the schema")


def yaml_problems(program: dict) -> list[str]:
    problems: list[str] = []
    ours = {}
    for name, resource in (program.get("resources") or {}).items():
        if resource["type"].startswith("sitevpn:"):
            spec = SCHEMA["resources"].get(resource["type"])
            if spec is None:
                problems.append(f"{name}: no component {resource['type']}")
                continue
            ours[name] = spec
            _check_object(
                resource.get("properties", {}),
                spec,
                name,
                problems,
                "inputProperties",
                "requiredInputs",
            )
    for key, expression in (program.get("outputs") or {}).items():
        m = re.match(r"^\$\{(\w+)\.(\w+)\}$", str(expression))
        if m and m.group(1) in ours and m.group(2) not in ours[m.group(1)]["properties"]:
            problems.append(f"outputs.{key}: {m.group(1)} has no output {m.group(2)}")
    return problems


def test_yaml_program_uses_the_schema_correctly():
    program = yaml.safe_load((EXAMPLES / "yaml-consumer" / "Pulumi.yaml").read_text())
    assert program["packages"]["sitevpn"]["version"] == SCHEMA["version"]
    assert program["packages"]["sitevpn"]["source"].endswith("/components")
    assert yaml_problems(program) == []


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("haMode",), "active-passive", "is not one of"),
        (
            ("sites", 0, "customerGateway", "adresses"),
            ["22.10.10.22"],
            "adresses: not in the schema",
        ),
        (("dpd", "intervalSeconds"), "ten", "expected an integer"),
        (("members",), "a", "expected a list"),
    ],
)
def test_the_yaml_check_catches_mistakes(path, value, fragment):
    program = yaml.safe_load((EXAMPLES / "yaml-consumer" / "Pulumi.yaml").read_text())
    node = program["resources"]["vpn"]["properties"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert any(fragment in p for p in yaml_problems(program))


def test_yaml_check_catches_an_unknown_output():
    program = yaml.safe_load((EXAMPLES / "yaml-consumer" / "Pulumi.yaml").read_text())
    program["outputs"]["x"] = "${vpn.gatewayIPs}"
    assert yaml_problems(program) == ["outputs.x: vpn has no output gatewayIPs"]
