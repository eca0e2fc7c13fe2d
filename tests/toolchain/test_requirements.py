"""The requirements files a Pulumi language host installs (`toolchain: pip`: a venv, then
`pip install -r requirements.txt` in the project or plugin folder) give a working program and a
working plugin. The CLI's own `pulumi install` needs the Python language host, which is not
served here (toolchain/README.md); these are the same two pip steps, from real PyPI packages."""

import subprocess
import venv

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.pulumi


def _venv(folder) -> str:
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return str(folder / "bin" / "python")


def _pip(python: str, cwd, *args: str) -> None:
    out = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]


def test_the_project_requirements_run_the_offline_plan(tmp_path):
    python = _venv(tmp_path / "venv")
    _pip(python, ROOT, "-r", "requirements.txt")
    out = subprocess.run(
        [python, "-m", "sitevpn.cli", "plan", "dev", "--project", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Plan: 25 to create" in out.stdout


def test_the_plugin_requirements_install_the_package(tmp_path):
    python = _venv(tmp_path / "venv")
    _pip(python, ROOT / "components", "-r", "requirements.txt")
    out = subprocess.run(
        [
            python,
            "-c",
            "import sitevpn; from sitevpn.provider import SiteVpnProvider; "
            "print(SiteVpnProvider().schema_document()['name'], sitevpn.__file__)",
        ],
        cwd=tmp_path,  # not the checkout: the installed package, not the source folder
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    name, location = out.stdout.split()
    assert name == "sitevpn"
    assert location.startswith(str(tmp_path / "venv"))  # installed from .., not the checkout
