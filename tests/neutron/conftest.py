"""A real Neutron API with neutron-vpnaas on loopback, for the session: installed into a venv of
its own (cached by the hash of requirements.txt), started on a free port with a fresh database,
stopped by PID at the end. In CI a failure to install or start fails the tests (no skip)."""

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.neutron.backend import NeutronBackend

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
FIGURES: dict[str, float] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/neutron/" in str(item.fspath):
            item.add_marker(pytest.mark.neutron)


def _venv() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "site-vpn" / f"neutron-{digest}"


def _install(venv: Path) -> None:
    marker = venv / ".installed"
    if marker.exists():
        return
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if result.returncode != 0:
        raise RuntimeError(f"installing Neutron failed:\n{result.stderr[-2000:]}")
    marker.write_text("ok\n")
    FIGURES["install_seconds"] = time.monotonic() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def neutron_url(tmp_path_factory):
    """Base URL of a running Neutron API (session scope)."""
    venv = _venv()
    try:
        _install(venv)
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    state = tmp_path_factory.mktemp("neutron")
    port = _free_port()
    log = open(state / "server.log", "w")
    started = time.monotonic()
    server = subprocess.Popen(
        [str(venv / "bin" / "python"), str(HERE / "serve.py"), str(state), str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"Neutron exited:\n{(state / 'server.log').read_text()[-3000:]}")
            if time.monotonic() - started > 120:
                raise RuntimeError("Neutron did not answer within 120 s")
            try:
                urllib.request.urlopen(f"{url}/v2.0/extensions", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        FIGURES["server_start_seconds"] = time.monotonic() - started
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def cloud(neutron_url):
    """What exists before any stack: the external network, and prod's existing VPC."""
    admin = NeutronBackend(neutron_url)
    public = admin.post(
        "networks",
        "network",
        {
            "name": "public",
            "router:external": True,
            "provider:network_type": "flat",
            "provider:physical_network": "public",
        },
    )
    admin.post(
        "subnets",
        "subnet",
        {
            "network_id": public["id"],
            "cidr": "198.51.100.0/24",
            "ip_version": 4,
            "name": "public-v4",
        },
    )
    vpc = admin.post("networks", "network", {"name": "vpc"})
    router = admin.post(
        "routers",
        "router",
        {"name": "vpc-router", "external_gateway_info": {"network_id": public["id"]}},
    )
    for name, cidr in (("app", "192.168.1.0/24"), ("db", "192.168.2.0/24")):
        subnet = admin.post(
            "subnets",
            "subnet",
            {"network_id": vpc["id"], "cidr": cidr, "ip_version": 4, "name": name},
        )
        admin.request(
            "PUT", f"/routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]}
        )
    admin.post("security-groups", "security_group", {"name": "app-servers"})
    return {"url": neutron_url, "public": public["id"], "vpc_router": router["id"]}


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        figures = ", ".join(f"{k} {v:.1f}" for k, v in FIGURES.items())
        terminalreporter.write_line(f"neutron: {figures}")
