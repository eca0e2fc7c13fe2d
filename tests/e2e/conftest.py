"""e2e fixtures: the program deployed into the suite's cloud by the real engine (`pulumi up` as
the project member, pulumi-openstack talking to Neutron), the L3 agent's strongSwan on the cloud
side, and the customer side from the program's own generated device configuration
(``deviceConfigs``). Every deployment is destroyed after its test (`pulumi destroy`)."""

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from netaddr import IPAddress, IPNetwork

from sitevpn.config import load_stack_config
from sitevpn.device_config import designs_from_config, render_swanctl
from tests.cloud.client import Session
from tests.cloud.fixture import INTERNET_NET, Cloud
from tests.conftest import PSK, engine_config, stack_config
from tests.e2e.lab import Lab
from tests.engine import Engine, Stack, State, program_folder

# Generous: the agent's status loop runs `ipsec status` through rootwrap and the wrapper.
ACTIVE_TIMEOUT = 240
# The agent re-renders and reloads a router once per connection change: more sites, longer.
CHARON_TIMEOUT = 180
CHARON_TIMEOUT_PER_SITE = 20
ADDRESS_TIMEOUT = 420
FIGURES: dict[str, list[float]] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def record(name: str, seconds: float) -> None:
    """Keep a figure for the run's summary (and the closing note)."""
    FIGURES.setdefault(name, []).append(round(seconds, 2))


def pytest_terminal_summary(terminalreporter):
    for name, values in FIGURES.items():
        ordered = sorted(values)
        median = ordered[len(ordered) // 2]
        terminalreporter.write_line(
            f"e2e {name}: median {median:.2f} s over {len(values)} ({ordered[0]:.2f}-{ordered[-1]:.2f})"
        )


def e2e_values(stack: str) -> dict:
    """An example stack with customer addresses on the lab's internet (a documentation range
    inside our namespaces) and a short DPD, so failover is measured in seconds."""
    values = copy.deepcopy(stack_config(stack))
    for index, site in enumerate(values["sites"]):
        count = len(site["customerGateway"]["addresses"])
        site["customerGateway"]["addresses"] = [
            str(INTERNET_NET[22 + 2 * index + i]) for i in range(count)
        ]
    values["dpd"] = {"action": "restart", "intervalSeconds": 2, "timeoutSeconds": 6}
    return values


@dataclass
class Deployment:
    """One stack deployed into the cloud by the real engine (`pulumi up` as the member), and
    what the tests read from it: the engine's state and Neutron's view."""

    cloud: Cloud
    stack: str
    values: dict
    engine_stack: Stack
    state: State
    session: Session
    psk: str | None
    waited: dict[str, float] = field(default_factory=dict)

    @classmethod
    def up(
        cls,
        cloud: Cloud,
        engine: Engine,
        values: dict,
        stack: str,
        psk: str | None,
        release: Path | None = None,
    ):
        """`pulumi up` of ``values`` as a new stack (by the site-vpn source tree ``release``
        when given, else this checkout): the deployment (also when `up` failed, so that what
        it made is destroyed) and the CLI's result."""
        workdir = None
        if release is not None:
            workdir = program_folder(engine.root / "programs" / stack, main=release)
        engine_stack = engine.stack(stack, values, psk=psk, workdir=workdir)
        if release is not None:
            # its own sitevpn and offline_engine come first on the program's path
            engine_stack.env = dict(engine_stack.env) | {"PYTHONPATH": str(release)}
        session = Session(cloud.credentials("member")).login()
        result = engine_stack.up(check=False)
        deployment = cls(cloud, stack, values, engine_stack, engine_stack.state(), session, psk)
        return deployment, result

    @property
    def gateway(self) -> dict:
        """The VpnGateway component's outputs."""
        (gateway,) = self.state.of_type("sitevpn:index:VpnGateway")
        return gateway.outputs

    @property
    def eips(self) -> list[str]:
        """The members' EIPs, in member order."""
        return list(self.state.stack_outputs["gatewayIps"])

    def site(self, name: str) -> dict:
        """A site's values from the stack config."""
        return next(s for s in self.values["sites"] if s["name"] == name)

    def connection_ids(self, site: str) -> list[str]:
        """Neutron ids of a site's two connections (conn1, conn2)."""
        pair = self.state.named(f"site-vpn-{site}-pair")
        return list(pair.outputs["connectionIds"])

    def device_config(self, site: str) -> str:
        """The program's generated swanctl.conf for a site (its secret output)."""
        return self.state.stack_outputs["deviceConfigs"][site]

    def customer_config(self, site: str, customer_values: dict, psk: str) -> str:
        """A swanctl.conf for a customer whose design differs from the cloud's (negative
        controls), rendered like ``site-vpn plan --device-config`` with the real EIPs."""
        cfg = load_stack_config(engine_config(customer_values), set(), self.stack)
        members = [m["name"] for m in self.values["gateway"].get("members", [])] or ["a", "b"]
        design = next(
            d
            for d in designs_from_config(
                cfg, self.stack, dict(zip(members, self.eips, strict=True))
            )
            if d.site == site
        )
        return render_swanctl(design, psk)

    def vpc_subnet(self) -> tuple[str, str]:
        """(network id, subnet id) of the first VPC subnet the gateway serves."""
        (group,) = {g for g in self.gateway["localEndpointGroupIds"][:1]}
        endpoint = self.session.show("vpn/endpoint-groups", group)["endpoints"][0]
        subnet = self.session.show("subnets", endpoint)
        return subnet["network_id"], subnet["id"]

    def member_addresses(self, subnet_id: str) -> list[str]:
        """Each member router's address on ``subnet_id``, in member order."""
        out = []
        for router in self.gateway["routerIds"]:
            ports = self.session.list("ports", f"device_id={router}")
            (address,) = [
                ip["ip_address"]
                for p in ports
                for ip in p["fixed_ips"]
                if ip["subnet_id"] == subnet_id
            ]
            out.append(address)
        return out

    def destroy(self, timeout: float = 90) -> None:
        """The VPN objects first, then, once the agent stopped each router's charon, the rest.

        neutron-vpnaas 28's agent stops a router's charon in a sync after the VPN service is
        gone; a router deleted before that leaves charon running in a namespace that no longer
        has a name (seen here: a race between its sync and its router-removal handling). An
        operator's neutron-netns-cleanup ends such processes; the lab does the same after
        ``timeout``, so later tests do not meet a stale charon holding a reused EIP.
        """
        state = self.engine_stack.state()  # as it is now: a test may have changed the stack
        vpn = [r.urn for r in state.resources if r.type.startswith("openstack:vpnaas/")]
        if vpn:
            self.engine_stack.destroy("--target-dependents", *(f"--target={urn}" for urn in vpn))
        gateways = state.of_type("sitevpn:index:VpnGateway")
        routers = list(gateways[0].outputs.get("routerIds") or []) if gateways else []
        deadline = time.monotonic() + timeout
        while routers and time.monotonic() < deadline:
            routers = [r for r in routers if self.cloud.charon_pids(r)]
            time.sleep(1)
        for router in routers:
            record("stale_charon_stopped_by_the_lab", 1)
            self.cloud.stop_charon(router)
        self.engine_stack.destroy()

    def wait_for_cloud_side(self) -> None:
        """Until the agent runs one charon per member router holding its connections."""
        by_router: dict[str, list[str]] = {}
        services = self.gateway["serviceIds"]
        routers = self.gateway["routerIds"]
        for site in self.values["sites"]:
            for cid in self.connection_ids(site["name"]):
                conn = self.session.show("vpn/ipsec-site-connections", cid)
                router = routers[services.index(conn["vpnservice_id"])]
                by_router.setdefault(router, []).append(cid)
        for router, ids in by_router.items():
            timeout = CHARON_TIMEOUT + CHARON_TIMEOUT_PER_SITE * len(self.values["sites"])
            self.waited[router] = self.cloud.wait_for_charon(router, ids, timeout)
        record("deploy_to_cloud_charon", max(self.waited.values()))
        # The agent may start charon before the router's qr- address is configured; the
        # userspace IPsec then cannot route the traffic selectors (TS_UNACCEPTABLE) until it is.
        # Seen on a cold cloud: a new router's first update spends ~4 min in the VPN extension
        # (13 connections, each a few rootwrap calls) while the interface's update waits behind.
        local = [IPNetwork(str(s["cidr"])) for s in self.values["vpc"]["subnets"]]
        started = time.monotonic()
        deadline = started + ADDRESS_TIMEOUT
        for router in by_router:
            while True:
                shown = self.cloud.router_exec(router, "ip", "-o", "-4", "addr", check=False).stdout
                have = [IPAddress(w.split("/")[0]) for w in shown.split() if "/" in w]
                if all(any(a in net for a in have) for net in local):
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"router {router} has no address in {local} after {ADDRESS_TIMEOUT} s:\n"
                        + shown
                    )
                time.sleep(0.5)
        record("charon_to_router_addresses", time.monotonic() - started)
        # The driver brings every connection up itself (`ipsec stroke up-nb`); with no customer
        # yet, each attempt gives up after the operator's retransmits (3.8 s). Starting the
        # customer only then keeps the two sides from racing to create the same CHILD_SAs.
        deadline = time.monotonic() + 20
        for router, ids in by_router.items():
            while time.monotonic() < deadline:
                log = self.cloud.charon_log(router)
                if log.count("establishing IKE_SA failed") >= len(ids):
                    break
                time.sleep(0.3)


@pytest.fixture
def deploy(cloud, engine_as):
    """`pulumi up` of a config as the member; everything is destroyed after the test."""
    made: list[Deployment] = []

    def run(
        values: dict, stack: str, psk: str | None = PSK, release: Path | None = None
    ) -> Deployment:
        started = time.monotonic()
        deployment, result = Deployment.up(cloud, engine_as("member"), values, stack, psk, release)
        made.append(deployment)
        assert result.returncode == 0, result.output
        record("deploy", time.monotonic() - started)
        deployment.wait_for_cloud_side()
        return deployment

    yield run
    for deployment in made:
        deployment.destroy()


@pytest.fixture
def lab(cloud, tmp_path):
    """The customer side of one test (torn down even on failure)."""
    made = Lab(tmp_path, cloud)
    try:
        yield made
    finally:
        made.close()


def attach(lab: Lab, d: Deployment, sites: list[str]) -> None:
    """The customer gateway for ``sites`` (one charon holding them all) and a VPC host routed
    over every member (multipath)."""
    addresses = [a for s in sites for a in d.site(s)["customerGateway"]["addresses"]]
    lab.build_customer(addresses, [d.site(s)["subnets"] for s in sites])
    network, subnet = d.vpc_subnet()
    hops = d.member_addresses(subnet)
    lab.build_vpc_host(network, subnet, {c: hops for s in sites for c in d.site(s)["subnets"]})


def wait_for_children_or_initiate(lab: Lab, wanted: set[str], timeout: float) -> float | None:
    """Wait for the CHILD_SAs; initiate the missing ones once more when they do not come.

    Seen right after a deployment: the agent still reloading a router's charon answers
    TS_UNACCEPTABLE, and a device keeps the IKE_SA without retrying the child (strongSwan
    retries only a failed IKE_SA), as an operator would see on a real customer device."""
    started = time.monotonic()
    if lab.wait_for_children(wanted, timeout=timeout) is None:
        missing = wanted - set(lab.child_sas())
        record("children_initiated_again", len(missing))
        for child in sorted(missing):
            lab.swanctl("--initiate", "--child", child, "--timeout", "10", check=False)
        if lab.wait_for_children(wanted, timeout=30) is None:
            return None
    return time.monotonic() - started


def bring_up(
    lab: Lab, d: Deployment, sites: list[str], swanctl: str | None = None, timeout: float = 20
) -> float | None:
    """Start the customer device with the program's device configs of ``sites`` (or the given
    swanctl.conf); seconds until every CHILD_SA is installed (None: never)."""
    conf = swanctl or "\n".join(d.device_config(s) for s in sites)
    vpc_cidrs = [str(s["cidr"]) for s in d.values["vpc"]["subnets"]]
    started = time.monotonic()
    lab.start_customer(conf, vpc_cidrs)
    lab.load_customer()
    children = {f"{s}-conn{i}" for s in sites for i in (1, 2)}
    waited = wait_for_children_or_initiate(lab, children, timeout)
    if waited is not None:
        record("customer_start_to_all_child_sas", time.monotonic() - started)
    return None if waited is None else time.monotonic() - started
