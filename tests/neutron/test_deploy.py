"""The program deployed into the suite's cloud (Keystone + Neutron + neutron-vpnaas + the L3
agent) by the real engine and pulumi-openstack, as the project's member (or admin where said)."""

import copy
import time
from urllib.parse import urlencode

import pytest

from bench.sites import hub_config
from sitevpn.readiness import RolloutSettings, wait_until_updatable
from sitevpn.rollout import Neutron
from tests.cloud.client import Session
from tests.conftest import PSK, stack_config
from tests.engine import EngineError, Stack, State, program_folder
from tests.neutron.conftest import FIGURES

VPN_COLLECTIONS = (
    "vpn/ipsec-site-connections",
    "vpn/vpnservices",
    "vpn/endpoint-groups",
    "vpn/ikepolicies",
    "vpn/ipsecpolicies",
)


def vpn_objects_left(session: Session) -> dict[str, list[str]]:
    """Names of the VPN objects the session's project still has, by collection."""
    left = {}
    for collection in VPN_COLLECTIONS:
        key = collection.split("/")[1].replace("-", "_")
        found = session.neutron("GET", f"/{collection}")[key]
        if found:
            left[collection] = [o.get("name") for o in found]
    return left


@pytest.fixture
def deploy(cloud, engine_as):
    """``pulumi up`` of a config as the member (or ``user``); every stack is destroyed with
    ``pulumi destroy`` afterwards, and the project checked empty of VPN objects."""
    made: list[tuple[Stack, Session]] = []

    def run(values, stack, psk=PSK, user="member") -> tuple[State, Session, Stack]:
        engine = engine_as(user)
        deployed = engine.stack(stack, values, psk=psk)
        session = Session(cloud.credentials(user)).login()
        made.append((deployed, session))
        started = time.monotonic()
        deployed.up()
        FIGURES[f"up_{stack}_seconds"] = time.monotonic() - started
        return deployed.state(), session, deployed

    yield run
    for deployed, session in made:
        deployed.destroy()
        assert vpn_objects_left(session) == {}


def _attached_subnets(session, router_id):
    ports = session.list("ports", f"device_id={router_id}")
    return {
        ip["subnet_id"]
        for p in ports
        if p["device_owner"] != "network:router_gateway"
        for ip in p["fixed_ips"]
    }


def check_against_neutron(state: State, session: Session) -> None:
    """Neutron's view matches the engine's state and the stack outputs."""
    (gateway,) = state.of_type("sitevpn:index:VpnGateway")
    outputs = gateway.outputs
    exported = state.stack_outputs["gatewayIps"]
    assert outputs["publicIps"] == exported
    for index, service_id in enumerate(outputs["serviceIds"]):
        service = session.show("vpn/vpnservices", service_id)
        router = session.show("routers", service["router_id"])
        gateway_ip = router["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
        assert service["external_v4_ip"] == gateway_ip == exported[index]
        assert service["router_id"] == outputs["routerIds"][index]
        local = session.show("vpn/endpoint-groups", outputs["localEndpointGroupIds"][index])
        assert local["type"] == "subnet"
        assert set(local["endpoints"]) <= _attached_subnets(session, service["router_id"])
    for pair in state.of_type("sitevpn:index:VpnConnectionPair"):
        site = pair.name.removeprefix("site-vpn-").removesuffix("-pair")
        conns = [
            session.show("vpn/ipsec-site-connections", cid) for cid in pair.outputs["connectionIds"]
        ]
        assert len({c["ikepolicy_id"] for c in conns}) == 1
        assert len({c["ipsecpolicy_id"] for c in conns}) == 1
        assert len({c["psk"] for c in conns}) == 1 and len(conns[0]["psk"]) >= 16
        # no customer device answers here: stored and handed to the agent, never in error
        assert {c["status"] for c in conns} <= {"PENDING_CREATE", "DOWN"}
        peer = session.show("vpn/endpoint-groups", conns[0]["peer_ep_group_id"])
        cgw = state.named(f"site-vpn-{site}-cgw")
        assert peer["type"] == "cidr"
        assert sorted(peer["endpoints"]) == sorted(cgw.outputs["subnets"])


def settled(stack: Stack) -> None:
    """A second look finds nothing to do: the preview shows no changes and a refresh finds
    no drift between the engine's state and Neutron."""
    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")


def syncs(cloud, router: str) -> int:
    """How often the agent synced a running charon of the router (its strongSwan driver
    rereads the secrets each time)."""
    return cloud.charon_log(router).count("rereading secrets")


def quiet_syncs(cloud, router: str, quiet: float = 10, timeout: float = 120) -> int:
    """The sync count once the agent has left the router alone for ``quiet`` seconds (a fresh
    deployment's own syncs have ended)."""
    count, since, started = syncs(cloud, router), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() - started < timeout, f"the agent kept syncing router {router}"
        time.sleep(0.5)
        if (now := syncs(cloud, router)) != count:
            count, since = now, time.monotonic()
    return count


def test_dev_stack_deploys(deploy, cloud):
    state, session, stack = deploy(stack_config("dev"), "dev")
    check_against_neutron(state, session)
    connections = session.list("vpn/ipsec-site-connections")
    assert len(connections) == 2
    # The rollout's resync (for a connection the agent left PENDING_*): Neutron takes it as an
    # update of the VPN service that changes nothing the stack sees, the agent syncs that
    # service's router (its driver rereads the secrets and reloads charon, as after any
    # connection change there), and the connections leave PENDING_* (DOWN: no device).
    credentials = cloud.credentials("member")
    neutron = Neutron(
        {
            "authUrl": f"{credentials.auth_url}/v3",
            "userName": credentials.username,
            "password": credentials.password,
            "tenantName": credentials.project,
            "region": credentials.region,
        }
    )
    settings = RolloutSettings(timeout_seconds=90, settle_seconds=0, resync_seconds=5)
    for connection in connections:
        service = session.show("vpn/vpnservices", connection["vpnservice_id"])
        router = service["router_id"]
        cloud.wait_for_charon(router, [connection["id"]], 120)
        rereads = quiet_syncs(cloud, router)
        neutron.resync(connection["id"])
        deadline = time.monotonic() + 20
        while syncs(cloud, router) == rereads:
            assert time.monotonic() < deadline, "no agent sync of the router after a resync"
            time.sleep(0.5)
        after = session.show("vpn/vpnservices", connection["vpnservice_id"])
        assert after["description"] == service["description"]
        updatable, status = wait_until_updatable(
            neutron.status, connection["id"], settings, resync=neutron.resync
        )
        assert updatable and status == "DOWN", status
    settled(stack)
    assert stack.outputs()["gatewayIps"] == state.stack_outputs["gatewayIps"]


def test_prod_stack_deploys_into_an_existing_vpc(deploy, existing_vpc):
    state, session, stack = deploy(stack_config("prod"), "prod", psk=None)  # generated PSKs
    check_against_neutron(state, session)
    settled(stack)
    services = state.of_type("openstack:vpnaas/service:Service")
    assert services[0].inputs["routerId"] == existing_vpc["router"]["id"]  # the VPC's router
    query = urlencode({"description": "site-vpn: ingress 10.20.0.0/16"})
    assert len(session.list("security-group-rules", query)) == 1


def test_hub_and_spoke_with_fifty_sites(deploy):
    state, session, _ = deploy(hub_config(50, subnets_per_site=2), "hub50")
    check_against_neutron(state, session)
    assert len(session.list("vpn/ipsec-site-connections")) == 100


STRAY_SUBNET_PROGRAM = """\
import pulumi
import pulumi_openstack as openstack

public = pulumi.Config().require("public")
net = openstack.networking.Network("n")
attached = openstack.networking.Subnet("attached", network_id=net.id, cidr="10.9.1.0/24")
stray = openstack.networking.Subnet("stray", network_id=net.id, cidr="10.9.2.0/24")
router = openstack.networking.Router("r", external_network_id=public)
interface = openstack.networking.RouterInterface("r-if", router_id=router.id, subnet_id=attached.id)
service = openstack.vpnaas.Service("svc", router_id=router.id)
local = openstack.vpnaas.EndpointGroup("local", type="subnet", endpoints=[attached.id, stray.id])
peer = openstack.vpnaas.EndpointGroup("peer", type="cidr", endpoints=["172.16.0.0/16"])
ike = openstack.vpnaas.IkePolicy(
    "ike", auth_algorithm="sha256", encryption_algorithm="aes-256", ike_version="v2", pfs="group15"
)
ipsec = openstack.vpnaas.IpSecPolicy(
    "ipsec", auth_algorithm="sha256", encryption_algorithm="aes-256", pfs="group15"
)
openstack.vpnaas.SiteConnection(
    "conn",
    vpnservice_id=service.id,
    ikepolicy_id=ike.id,
    ipsecpolicy_id=ipsec.id,
    local_ep_group_id=local.id,
    peer_ep_group_id=peer.id,
    peer_address="22.10.10.22",
    peer_id="22.10.10.22",
    psk=pulumi.Output.secret("Str0ng-Pre-Shared+Key"),
    opts=pulumi.ResourceOptions(depends_on=[interface]),
)
"""


def test_neutron_rejects_a_local_subnet_that_is_not_on_the_router(cloud, engine_as, tmp_path):
    """Why the program and pack insist on attached subnets: Neutron's own refusal, through the
    provider, for a plain pulumi-openstack program."""
    folder = program_folder(tmp_path / "stray")
    (folder / "Pulumi.yaml").write_text(
        (folder / "Pulumi.yaml").read_text().replace("name: site-vpn", "name: stray-subnet")
    )
    (folder / "__main__.py").write_text(STRAY_SUBNET_PROGRAM)
    engine = engine_as("member")
    stack = engine.stack("neutron", workdir=folder)
    stack.cli("config", "set", "public", cloud.external_network_id)
    try:
        failed = stack.up(check=False)
        assert failed.returncode != 0
        assert "SubnetIsNotConnectedToRouter" in failed.output
        assert "is not connected to Router" in failed.output
    finally:
        stack.destroy()


def test_neutron_rejects_dpd_timeout_not_above_interval(engine_as, cloud):
    values = copy.deepcopy(stack_config("dev"))
    values["dpd"] = {"intervalSeconds": 30, "timeoutSeconds": 30}
    stack = engine_as("member").stack("dpd", values, psk=PSK)
    try:
        failed = stack.up(check=False)
        assert failed.returncode != 0
        assert "dpd_timeout is equal to or less than dpd_interval" in failed.output
    finally:
        stack.destroy()
    assert vpn_objects_left(Session(cloud.credentials("member")).login()) == {}


def _with_eip(address: str) -> dict:
    values = copy.deepcopy(stack_config("dev"))
    values["gateway"]["members"][0]["eip"] = address
    return values


def test_a_member_cannot_choose_the_eip_and_is_told_which_key(engine_as):
    # Neutron's default policy: external_fixed_ips on a router gateway is admin-only
    stack = engine_as("member").stack("eip", _with_eip("198.51.100.240"), psk=PSK)
    failed = stack.up(check=False)
    assert failed.returncode != 0
    assert "stack 'eip': site-vpn:gateway.members[0].eip = 198.51.100.240" in failed.output
    assert "needs the admin role" in failed.output and "member, reader" in failed.output
    assert "Traceback" not in failed.output
    assert PSK not in failed.output
    # refused before anything was made: the state holds no cloud resource
    made = [r for r in stack.state().resources if r.type.startswith("openstack:")]
    assert made == []


def test_the_cloud_itself_refuses_a_members_chosen_eip(cloud):
    """The program's check mirrors a real refusal (not a guess): Neutron says 403."""
    member = Session(cloud.credentials("member")).login()
    with pytest.raises(Exception) as refused:
        member.create(
            "routers",
            "router",
            {
                "name": "chosen-eip",
                "external_gateway_info": {
                    "network_id": cloud.external_network_id,
                    "external_fixed_ips": [{"ip_address": "198.51.100.241"}],
                },
            },
        )
    assert getattr(refused.value, "status", None) == 403
    assert "external_fixed_ips" in str(refused.value)


def test_an_admin_may_choose_the_eip(deploy):
    state, session, _ = deploy(_with_eip("198.51.100.242"), "eip-admin", user="admin")
    check_against_neutron(state, session)
    assert state.stack_outputs["gatewayIps"][0] == "198.51.100.242"


def test_engine_error_is_raised_for_a_failing_cli_call(engine_as):
    """The helper every deployment test relies on fails loudly (never a silent pass)."""
    stack = engine_as("member").stack("broken", {"gateway": "not a mapping"}, psk=PSK)
    with pytest.raises(EngineError, match="site-vpn:gateway"):
        stack.up()
