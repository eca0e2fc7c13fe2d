"""Shared fixtures: the real program under the SDK runtime, with a fake cloud that answers
what a real OpenStack would (EIPs, ids, name lookups)."""

import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from netaddr import IPNetwork

from offline_engine import runtime, stackconfig

ROOT = Path(__file__).resolve().parent.parent
# CI replays the same examples every run (a landing must not hinge on a lucky draw); local runs
# keep exploring new ones, and what they find is kept in .hypothesis/.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
# The policy pack is a folder of its own (as the engine runs it); its package is importable here.
if str(ROOT / "policies") not in sys.path:
    sys.path.insert(0, str(ROOT / "policies"))
PSK = "Sup3r-Secret_PSK+for/tests=2026"  # used as the configured secret in many tests


GENERATED_PSK = "Gen3rated-PSK_value+0123456789ab"
"""What FakeOpenStack's RandomPassword of a pair's generation 1 returns."""


class FakeOpenStack(runtime.EchoBackend):
    """Echo backend plus what tests need a cloud for: EIPs for VPN services, generated
    passwords, and answers to name lookups of existing networks, subnets, routers and groups."""

    def __init__(self, subnets: dict[str, str] | None = None) -> None:
        self.eips = iter(IPNetwork("198.51.100.0/24").iter_hosts())
        self.subnets = (
            subnets
            if subnets is not None
            else {
                "app": "192.168.1.0/24",
                "db": "192.168.2.0/24",
            }
        )
        self.invokes: list[tuple[str, dict]] = []

    def create(self, resource, preview):
        rid, outputs = super().create(resource, preview)
        if resource.type == "openstack:vpnaas/service:Service" and not preview:
            outputs["externalV4Ip"] = str(next(self.eips))
        if resource.type == "random:index/randomPassword:RandomPassword" and not preview:
            # the pair's generation 1 (named "<pair>-psk") has the value the secrecy tests look
            # for; later generations and connection 2's own keys one each, so that tests can
            # tell which one reached where
            first = resource.name.endswith("-psk") and not resource.name.endswith("-conn2-psk")
            value = GENERATED_PSK if first else f"generated:{resource.name}"
            outputs["result"] = {runtime.SIG_KEY: runtime.SECRET_SIG, "value": value}
        return rid, outputs

    def invoke(self, token, args, preview):
        self.invokes.append((token, args))
        kind = token.split(":")[-1]
        if kind == "getSubnet":
            name = args.get("name") or args.get("subnetId")
            if name not in self.subnets:
                raise KeyError(f"no subnet {name}")
            return {"id": f"subnet-{name}", "cidr": self.subnets[name], "networkId": "net-vpc"}
        if kind in ("getNetwork", "getRouter", "getSecGroup"):
            return {"id": f"{kind[3:].lower()}-{args.get('name')}", "name": args.get("name")}
        raise AssertionError(f"unexpected invoke {token}")


def stack_config(stack: str) -> dict[str, Any]:
    """The stack file's site-vpn values as Python objects (for mutation in tests)."""
    project = stackconfig.load_project(ROOT)
    loaded = stackconfig.load_stack(project, stack)
    return {
        k.split(":", 1)[1]: json.loads(v) if v[:1] in "[{" else v
        for k, v in loaded.values.items()
        if k.startswith("site-vpn:")
    }


def engine_config(values: dict[str, Any]) -> dict[str, str]:
    """Python values -> the engine's config map (structured values as JSON)."""
    return {
        f"site-vpn:{k}": json.dumps(v) if isinstance(v, dict | list) else str(v)
        for k, v in values.items()
    }


@pytest.fixture
def run_program() -> Callable[..., runtime.Capture]:
    """Run the real __main__.py with a config; returns the capture (and the backend)."""

    def run(
        values: dict[str, Any],
        *,
        stack: str = "test",
        preview: bool = False,
        psk: str | None = None,
        backend: FakeOpenStack | None = None,
        project: Path = ROOT,
    ) -> runtime.Capture:
        """``project``: the folder the program runs in (its ``__main__.py``, its site files)."""
        config = engine_config(values)
        secret_keys = set()
        if psk is not None:
            config["site-vpn:psk"] = psk
            secret_keys.add("site-vpn:psk")
        capture = runtime.run_project(
            project / "__main__.py",
            project="site-vpn",
            stack=stack,
            config=config,
            secret_keys=secret_keys,
            preview=preview,
            backend=backend or FakeOpenStack(),
        )
        return capture

    return run


@pytest.fixture
def dev() -> dict[str, Any]:
    """A fresh copy of the dev stack's values."""
    return copy.deepcopy(stack_config("dev"))


@pytest.fixture
def prod() -> dict[str, Any]:
    """A fresh copy of the prod stack's values."""
    return copy.deepcopy(stack_config("prod"))


def unwrap(value: Any) -> Any:
    """Wire value -> plain value (secrets unwrapped), for assertions on inputs."""
    if isinstance(value, dict) and value.get(runtime.SIG_KEY) == runtime.SECRET_SIG:
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def is_secret(value: Any) -> bool:
    """True when a wire value is wrapped as a secret."""
    return isinstance(value, dict) and value.get(runtime.SIG_KEY) == runtime.SECRET_SIG


def _unavailable(message: str):
    """A real-cloud prerequisite is missing: CI fails, a local run skips."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    """The suite's OpenStack (tests/cloud): Keystone, Neutron, the L3 agent with VPNaaS, on
    loopback and in namespaces of its own; started once, on first use, and ended with the run."""
    from tests.cloud.fixture import Cloud, missing_prerequisites

    if os.environ.get("SITE_VPN_CLOUD"):  # a running cloud (tests/cloud/fixture.py attach)
        yield Cloud.attach(Path(os.environ["SITE_VPN_CLOUD"]))
        return
    missing = missing_prerequisites()
    if missing:
        _unavailable("the cloud needs " + " and ".join(missing))
    made = Cloud(tmp_path_factory.mktemp("cloud"))
    try:
        made.start()
    except Exception as exc:
        made.stop()
        _unavailable(str(exc))
    try:
        yield made
    finally:
        # start-up figures, and what happened during the run (l3_agent_restarts)
        CLOUD_FIGURES.update(made.figures)
        made.stop()


@pytest.fixture(scope="session")
def existing_vpc(cloud):
    """What prod expects to find in its project: the VPC network with subnets app and db on
    the router vpc-router (gateway on the external network) and the security group
    app-servers, all made by the project member."""
    member = cloud.member
    found = member.list("routers", "name=vpc-router")  # an attached cloud may have it already
    if found:
        subnets = {s["name"]: s for s in member.list("subnets") if s["name"] in ("app", "db")}
        network = member.show("networks", subnets["app"]["network_id"])
        return {"network": network, "router": found[0], "subnets": subnets}
    vpc = member.create("networks", "network", {"name": "vpc"})
    router = member.create(
        "routers",
        "router",
        {"name": "vpc-router", "external_gateway_info": {"network_id": cloud.external_network_id}},
    )
    subnets = {}
    for name, cidr in (("app", "192.168.1.0/24"), ("db", "192.168.2.0/24")):
        subnet = member.create(
            "subnets",
            "subnet",
            {"network_id": vpc["id"], "cidr": cidr, "ip_version": 4, "name": name},
        )
        member.neutron(
            "PUT", f"/routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]}
        )
        subnets[name] = subnet
    member.create("security-groups", "security_group", {"name": "app-servers"})
    return {"network": vpc, "router": router, "subnets": subnets}


@pytest.fixture(scope="session")
def toolchain() -> None:
    """The real engine (`make toolchain`): CI fails without it, a local run skips."""
    from tests.engine import toolchain_missing

    missing = toolchain_missing()
    if missing:
        _unavailable(missing)


@pytest.fixture
def engine_as(cloud, toolchain, tmp_path):
    """A workspace of the real engine (file backend, passphrase) acting as one cloud user with
    that user's openrc values: ``engine_as("member")``, ``engine_as("admin")``."""
    from tests.engine import Engine

    def make(user: str = "member") -> "Engine":
        return Engine(tmp_path / f"engine-{user}", cloud.credentials(user).environ())

    return make


CLOUD_FIGURES: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter):
    if CLOUD_FIGURES:
        figures = ", ".join(f"{k} {v}" for k, v in CLOUD_FIGURES.items())
        terminalreporter.write_line(f"cloud: {figures}")
