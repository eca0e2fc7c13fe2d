"""e2e fixtures: a lab per test (torn down even on failure) and scenarios built from the real
program: the customer side from its deviceConfigs output, the cloud side from the stand-in."""

import copy
import os
import shutil
import time
from dataclasses import dataclass

import pytest
from netaddr import IPAddress

from sitevpn.engine import runtime
from tests.conftest import PSK, ROOT, FakeOpenStack, engine_config, stack_config, unwrap
from tests.e2e.lab import CHARON, CLOUD_NET, CUSTOMER_NET, Lab
from tests.e2e.neutron_standin import (
    connections_from_capture,
    render_ipsec_conf,
    render_ipsec_secrets,
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def lab(tmp_path):
    """A fresh lab; in CI a missing prerequisite fails the test instead of skipping it."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces)")
    if not os.path.exists(CHARON) or not shutil.which("swanctl"):
        missing.append("strongSwan (apt: strongswan-charon strongswan-swanctl ...)")
    if missing:
        message = "e2e needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()


@dataclass
class Scenario:
    """Both ends of one site, rendered from the program's registrations."""

    site: str
    swanctl_conf: str
    ipsec_conf: str
    ipsec_secrets: str
    eips: list[str]
    customer_ips: list[str]
    vpc_cidrs: list[str]
    onprem_cidrs: list[str]
    children: set[str]


def e2e_values(stack: str) -> dict:
    """An example stack with public addresses from documentation ranges (inside our lab) and a
    short DPD, so failover is measured in seconds."""
    values = copy.deepcopy(stack_config(stack))
    for index, site in enumerate(values["sites"]):
        count = len(site["customerGateway"]["addresses"])
        site["customerGateway"]["addresses"] = [
            str(CUSTOMER_NET[22 + 2 * index + i]) for i in range(count)
        ]
        site["customerGateway"].pop("ikeId", None)
    values["dpd"] = {"action": "restart", "intervalSeconds": 2, "timeoutSeconds": 6}
    return values


def run_program(values: dict, *, stack: str, psk: str | None, backend: FakeOpenStack):
    """The real program for a config, deployed into the fake cloud (EIPs 198.51.100.1, .2)."""
    config = engine_config(values)
    secret_keys = set()
    if psk is not None:
        config["site-vpn:psk"] = psk
        secret_keys.add("site-vpn:psk")
    return runtime.run_project(
        ROOT / "__main__.py",
        project="site-vpn",
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        preview=False,
        backend=backend,
    )


def build_scenario(
    stack: str,
    site: str,
    values: dict | None = None,
    customer: dict | None = None,
    psk: str | None = PSK,
    customer_psk: str | None = None,
) -> Scenario:
    """Both ends of a site: the cloud from ``values``, the customer from ``customer`` (the same
    design unless a test hands it a different one)."""
    values = values or e2e_values(stack)
    backend = FakeOpenStack()
    capture = run_program(values, stack=stack, psk=psk, backend=backend)
    assert capture.error is None, capture.error
    device = capture
    if customer is not None or customer_psk is not None:
        device = run_program(
            customer or values, stack=stack, psk=customer_psk or psk, backend=FakeOpenStack()
        )
        assert device.error is None, device.error
    swanctl_conf = unwrap(device.stack_outputs["deviceConfigs"])[site]
    subnets = {f"subnet-{k}": v for k, v in backend.subnets.items()}
    subnets |= {
        r.id: r.inputs["cidr"] for r in capture.of_type("openstack:networking/subnet:Subnet")
    }
    connections = connections_from_capture(capture, f"site-vpn-{site}-pair-", subnets)
    assert len(connections) == 2
    design = next(s for s in values["sites"] if s["name"] == site)
    return Scenario(
        site=site,
        swanctl_conf=swanctl_conf,
        ipsec_conf=render_ipsec_conf(connections),
        ipsec_secrets=render_ipsec_secrets(connections),
        eips=sorted({c.external_ip for c in connections}),
        customer_ips=list(design["customerGateway"]["addresses"]),
        vpc_cidrs=list(connections[0].local_cidrs),
        onprem_cidrs=list(design["subnets"]),
        children={f"{site}-conn1", f"{site}-conn2"},
    )


@pytest.fixture
def scenario():
    """build_scenario, for tests."""
    return build_scenario


def bring_up(lab: Lab, s: Scenario, timeout: float = 15) -> float | None:
    """Build the lab for a scenario, start both daemons, load the device; seconds from daemon
    start until both CHILD_SAs are installed (None: they never were)."""
    assert all(IPAddress(ip) in CLOUD_NET for ip in s.eips)
    lab.build(
        eips=s.eips, customer_ips=s.customer_ips, vpc_cidrs=s.vpc_cidrs, onprem_cidrs=s.onprem_cidrs
    )
    started = time.monotonic()
    lab.start_cloud(s.ipsec_conf, s.ipsec_secrets)
    lab.start_customer(s.swanctl_conf)
    lab.load_customer()
    waited = lab.wait_for_children(s.children, timeout=timeout)
    return None if waited is None else time.monotonic() - started
