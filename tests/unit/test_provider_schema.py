"""The component provider's schema: complete, documented, enums, nested types, secrets."""

import tomllib

import pytest

from sitevpn.provider import COMPONENTS, SiteVpnProvider
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def schema():
    return SiteVpnProvider().schema_document()


def _properties(schema):
    """(where, name, spec) of every property of every component and type."""
    for token, resource in schema["resources"].items():
        for section in ("inputProperties", "properties"):
            for name, spec in resource.get(section, {}).items():
                yield f"{token}.{section}", name, spec
    for token, type_spec in schema["types"].items():
        for name, spec in type_spec.get("properties", {}).items():
            yield token, name, spec


def test_every_public_component_is_served(schema):
    assert sorted(schema["resources"]) == sorted(f"sitevpn:index:{c.__name__}" for c in COMPONENTS)
    for resource in schema["resources"].values():
        assert resource["isComponent"] is True and resource["description"]


def test_every_property_is_documented(schema):
    undocumented = [
        f"{where}.{name}"
        for where, name, spec in _properties(schema)
        if not spec.get("description")
    ]
    assert undocumented == []


def test_closed_sets_are_enums(schema):
    types = schema["types"]
    for enum in (
        "HaMode",
        "DhGroup",
        "AuthAlgorithm",
        "EncryptionAlgorithm",
        "IkeVersion",
        "DpdAction",
        "SubnetAttachment",
        "TransformProtocol",
        "EncapsulationMode",
    ):
        assert types[f"sitevpn:index:{enum}"]["enum"], enum
    values = {e["value"] for e in types["sitevpn:index:HaMode"]["enum"]}
    assert values == {"active-active", "active-standby"}
    assert {e["value"] for e in types["sitevpn:index:DhGroup"]["enum"]} >= {
        "group14",
        "group15",
        "group31",
    }
    site_vpn = schema["resources"]["sitevpn:index:SiteVpn"]["inputProperties"]
    assert site_vpn["haMode"]["$ref"] == "#/types/sitevpn:index:HaMode"


def test_sites_and_customer_gateways_are_nested_types(schema):
    site_vpn = schema["resources"]["sitevpn:index:SiteVpn"]["inputProperties"]
    assert site_vpn["sites"]["items"]["$ref"] == "#/types/sitevpn:index:SiteArgs"
    site = schema["types"]["sitevpn:index:SiteArgs"]["properties"]
    assert site["customerGateway"]["$ref"] == "#/types/sitevpn:index:CustomerGatewaySpec"
    spec = schema["types"]["sitevpn:index:CustomerGatewaySpec"]
    assert set(spec["properties"]) == {"addresses", "ikeId"} and spec["required"] == ["addresses"]


def test_psk_and_device_configs_are_secret(schema):
    carrying = [
        (where, name)
        for where, name, spec in _properties(schema)
        if name in ("psk", "deviceConfigs")
    ]
    assert len(carrying) >= 4  # pair in/out, SiteVpn in, SiteArgs, deviceConfigs out
    for where, name, spec in _properties(schema):
        if name in ("psk", "deviceConfigs"):
            assert spec.get("secret") is True, f"{where}.{name}"


def test_version_comes_from_the_project(schema):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert schema["version"] == pyproject["project"]["version"]
