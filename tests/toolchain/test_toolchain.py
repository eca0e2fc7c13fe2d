"""The Pulumi CLI that `make toolchain` builds from Go modules (toolchain/go.mod).

Blocked upstream of this (see toolchain/README.md): the Python language host and the
openstack/random resource providers are not served as Go modules here, so the CLI cannot yet run
this project's program; what it can do for us is checked here against the pins.
"""

import os
import re
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from sitevpn.plan import make_plan
from tests.conftest import PSK, ROOT

pytestmark = pytest.mark.pulumi

CLI = ROOT / ".toolchain" / "bin" / "pulumi"


def _pinned(module: str) -> str:
    text = (ROOT / "toolchain" / "go.mod").read_text()
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)} (v\S+)", text, re.M)
    assert found, f"{module} is not pinned in toolchain/go.mod"
    return found.group(1)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.lstrip("v").split(".")[:3])


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: run `make toolchain`")
    home = tmp_path_factory.mktemp("pulumi-home")
    env = {
        **os.environ,
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{home / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "site-vpn-tests",
        "PULUMI_SKIP_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
    }
    (home / "state").mkdir()
    return CLI, env


def test_the_built_cli_is_the_pinned_release(cli):
    binary, env = cli
    out = subprocess.run([binary, "version"], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _pinned("github.com/pulumi/pulumi/pkg/v3")


def test_cli_and_python_sdk_agree():
    # The engine must be at least as new as the SDK that talks to it, in the same major release,
    # and no further ahead than the nearest release the module proxy serves (3.272 -> 3.274).
    cli = _version(_pinned("github.com/pulumi/pulumi/pkg/v3"))
    sdk = _version(metadata.version("pulumi"))
    assert cli[0] == sdk[0], (cli, sdk)
    assert cli >= sdk, f"CLI {cli} is older than the Python SDK {sdk}"
    assert cli[1] - sdk[1] <= 2, f"CLI {cli} drifted from the Python SDK {sdk}: re-pin one"
    assert _pinned("github.com/pulumi/pulumi/sdk/v3") == _pinned("github.com/pulumi/pulumi/pkg/v3")


def test_a_secret_set_by_the_real_cli_stays_secret_in_the_offline_plan(cli, tmp_path):
    """`pulumi config set --secret psk` writes the stack file; `site-vpn plan` reads what the real
    CLI wrote (an undecryptable `secure:` value) as an unknown secret and never prints it."""
    binary, env = cli
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_bytes((ROOT / name).read_bytes())
    (project / "stacks").mkdir()
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_bytes((ROOT / "stacks" / "Pulumi.dev.yaml").read_bytes())
    (project / "components").symlink_to(ROOT / "components")
    run = {"cwd": project, "env": env, "capture_output": True, "text": True, "timeout": 120}

    out = subprocess.run([binary, "stack", "init", "dev", "--non-interactive"], **run)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(
        [binary, "config", "set", "--secret", "--stack", "dev", "psk", "--", PSK], **run
    )
    assert out.returncode == 0, out.stderr
    written = stack_file.read_text()
    assert "site-vpn:psk:\n    secure: v1:" in written
    assert PSK not in written
    got = subprocess.run([binary, "config", "get", "--stack", "dev", "psk"], **run)
    assert got.stdout.strip() == PSK  # the real secrets provider round-trips it

    plan = make_plan(project, "dev", environ={})
    assert "site-vpn:psk" in plan.stack.unknown_secrets
    assert PSK not in repr(plan.capture.resources)
