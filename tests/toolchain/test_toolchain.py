"""The toolchain `make toolchain` builds from ../shared/upstream: the versions it reports are the
ones toolchain/versions.env names and pyproject.toml pins for the Python SDKs, and its
providers are installed in the project's PULUMI_HOME (the engine never downloads one)."""

from importlib import metadata

import pytest

from sitevpn.plan import make_plan
from tests.conftest import PSK, ROOT, stack_config
from tests.engine import BIN, Engine, pinned, run_cli, toolchain_missing

pytestmark = pytest.mark.pulumi


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    missing = toolchain_missing()
    if missing:
        pytest.fail(missing)
    return Engine(tmp_path_factory.mktemp("engine"))


def test_the_built_cli_and_language_hosts_are_the_pinned_release(engine):
    want = f"v{pinned()['PULUMI_VERSION']}"
    got = run_cli(["version"], cwd=ROOT, env=engine.env).stdout.strip()
    assert got == want
    for host in ("pulumi-language-python", "pulumi-language-go", "pulumi-language-yaml"):
        assert (BIN / host).is_file(), host
    assert (BIN / "pulumi-language-python-exec").is_file()


def test_providers_are_installed_at_the_pinned_versions(engine):
    plugins = run_cli(["plugin", "ls", "--json"], cwd=ROOT, env=engine.env).json()
    installed = {(p["kind"], p["name"]): p["version"] for p in plugins}
    versions = pinned()
    assert installed[("resource", "openstack")] == versions["OPENSTACK_VERSION"]
    assert installed[("resource", "random")] == versions["RANDOM_VERSION"]


@pytest.mark.parametrize(
    ("package", "key"),
    [
        ("pulumi", "PULUMI_VERSION"),
        ("pulumi-openstack", "OPENSTACK_VERSION"),
        ("pulumi-random", "RANDOM_VERSION"),
    ],
)
def test_python_packages_ask_for_the_binaries_we_build(package, key):
    # pulumi-openstack==X asks the engine for plugin version X: a drift means a download.
    assert metadata.version(package) == pinned()[key]
    text = (ROOT / "pyproject.toml").read_text()
    assert f'"{package}=={pinned()[key]}"' in text


def test_a_secret_set_by_the_real_cli_stays_secret_in_the_offline_plan(engine):
    """`pulumi config set --secret psk` writes the stack file; `site-vpn plan` reads what the real
    CLI wrote (an undecryptable `secure:` value) as an unknown secret and never prints it."""
    stack = engine.stack("dev", values=stack_config("dev"), psk=PSK)
    written = (stack.workdir / "stacks" / "Pulumi.dev.yaml").read_text()
    assert "site-vpn:psk:\n    secure: v1:" in written
    assert PSK not in written
    assert stack.cli("config", "get", "psk").stdout.strip() == PSK  # the real provider decrypts

    plan = make_plan(stack.workdir, "dev", environ={})
    assert "site-vpn:psk" in plan.stack.unknown_secrets
    assert PSK not in repr(plan.capture.resources)
