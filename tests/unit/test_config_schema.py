"""The published JSON Schema is current and accepts exactly what the models accept."""

import jsonschema
import pytest
import yaml

from sitevpn.schemas import README, TARGETS, provider_schema, readme, render
from tests.conftest import ROOT


@pytest.mark.parametrize("path", list(TARGETS), ids=lambda p: p.name)
def test_checked_in_schema_is_current(path):
    assert path.read_text() == render(TARGETS[path]), (
        f"{path.name} is stale: run python -m sitevpn.schemas"
    )


def test_readme_component_tables_are_generated_from_the_schema():
    text = README.read_text()
    assert text == readme(text, provider_schema()), "README tables are stale: run make schemas"
    assert "| `psk` | string (optional), secret |" in text


@pytest.fixture(scope="module")
def validator():
    schema = (ROOT / "stacks" / "stack-config.schema.json").read_text()
    return jsonschema.Draft202012Validator(yaml.safe_load(schema))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_example_stacks_validate(validator, stack):
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    assert list(validator.iter_errors(document)) == []


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda c: c.__setitem__("site-vpn:gatway", {}), "site-vpn:gatway"),
        (lambda c: c["site-vpn:gateway"].__setitem__("haMode", "active-passive"), "active-passive"),
        (lambda c: c.__setitem__("site-vpn:psk", "plaintext"), "plaintext"),
        (lambda c: c.pop("site-vpn:sites"), "site-vpn:sites"),
    ],
)
def test_schema_rejects_what_the_models_reject(validator, mutate, fragment):
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    mutate(document["config"])
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors and any(fragment in m for m in errors)


def test_secure_psk_and_other_namespaces_are_accepted(validator):
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    document["config"]["site-vpn:psk"] = {"secure": "v1:abc"}
    document["config"]["openstack:region"] = "RegionOne"
    assert list(validator.iter_errors(document)) == []
