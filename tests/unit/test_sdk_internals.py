"""The SDK internals offline_engine/sdk.py relies on, pinned for the supported SDK range: an
upgrade that moves one of them fails here, not somewhere deep in a plan."""

import inspect
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from pulumi.runtime import config, mocks, settings, stack, sync_await

from offline_engine import sdk
from tests.conftest import ROOT

DEPENDENCIES = {
    Requirement(r).name: Requirement(r)
    for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
}


@pytest.mark.parametrize("package", ["pulumi", "pulumi-policy"])
def test_the_installed_sdk_is_in_the_supported_range(package):
    installed = metadata.version(package)
    assert DEPENDENCIES[package].specifier.contains(installed), (package, installed)


def test_config_internals():
    assert hasattr(config.CONFIG, "get") and hasattr(config.CONFIG, "set")
    for name in ("get_config_env", "get_config_secret_keys_env", "is_config_secret"):
        assert callable(getattr(config, name)), name
    assert list(inspect.signature(config.set_all_config).parameters) == ["config", "secret_keys"]
    assert config.get_config_env_key("site-vpn:psk") == "PULUMI_CONFIG_SITE_VPN_PSK"


def test_runtime_internals():
    assert hasattr(settings.ROOT, "set") and hasattr(settings.SETTINGS, "outputs")
    assert hasattr(settings.SETTINGS, "monitor") and isinstance(
        sdk._resource_grpc.ResourceMonitorStub, type
    )
    assert callable(stack.run_in_stack) and callable(sync_await._sync_await)
    assert {"RegisterResource", "RegisterResourceOutputs", "Invoke"} <= set(dir(mocks.MockMonitor))
    assert hasattr(mocks.MockMonitor, "ResourceRegistration")
    params = inspect.signature(mocks.set_mocks).parameters
    assert {"project", "stack", "preview", "logger", "monitor"} <= set(params)


def test_policy_servicer_internals():
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    params = list(inspect.signature(_PolicyAnalyzerServicer.__init__).parameters)[1:]
    assert params == [
        "name",
        "version",
        "policies",
        "enforcement_level",
        "initial_config",
        "description",
        "display_name",
        "readme",
        "provider",
        "tags",
        "repository",
    ]


def test_no_other_module_touches_sdk_internals():
    private = (
        "pulumi.runtime.config",
        "pulumi.runtime.settings",
        "pulumi.runtime.stack",
        "pulumi.runtime.sync_await",
        "pulumi.runtime.mocks",
        "pulumi_policy.policy",
    )
    offenders = []
    for folder in ("sitevpn", "offline_engine", "policies"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "sdk.py" and folder == "offline_engine":
                continue
            text = path.read_text()
            offenders += [f"{path.relative_to(ROOT)}: {p}" for p in private if p in text]
            if "from pulumi.runtime import" in text and any(
                f" {n}" in text.split("from pulumi.runtime import", 1)[1].split("\n", 1)[0]
                for n in ("config", "settings", "mocks", "stack")
            ):
                offenders.append(f"{path.relative_to(ROOT)}: pulumi.runtime internals")
    assert offenders == []
