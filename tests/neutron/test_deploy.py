"""The program's resource graph deployed into the suite's cloud (Keystone + Neutron +
neutron-vpnaas + the L3 agent), as the project's member."""

import copy
import time
from urllib.parse import urlencode

import pulumi_openstack as openstack
import pytest

from bench.sites import hub_config
from offline_engine import runtime
from tests.cloud.client import Session
from tests.conftest import PSK, stack_config
from tests.neutron.backend import NeutronBackend
from tests.neutron.conftest import FIGURES

VPN_COLLECTIONS = (
    "vpn/ipsec-site-connections",
    "vpn/vpnservices",
    "vpn/endpoint-groups",
    "vpn/ikepolicies",
    "vpn/ipsecpolicies",
)


def as_user(cloud, user: str = "member") -> NeutronBackend:
    """A backend acting with a fresh project-scoped token of ``user``."""
    return NeutronBackend(Session(cloud.credentials(user)).login())


@pytest.fixture
def deploy(cloud, run_program):
    """Deploy a config into Neutron as the member; everything is destroyed afterwards (and
    checked gone)."""
    backends = []

    def run(values, stack, psk=PSK, user="member"):
        backend = as_user(cloud, user)
        backends.append(backend)
        started = time.monotonic()
        capture = run_program(values, stack=stack, psk=psk, backend=backend)
        FIGURES[f"deploy_{stack}_seconds"] = time.monotonic() - started
        FIGURES[f"deploy_{stack}_api_calls"] = backend.calls
        FIGURES[f"deploy_{stack}_retries"] = backend.retries
        return capture, backend

    yield run
    for backend in backends:
        backend.destroy()
        for collection in VPN_COLLECTIONS:
            key = collection.split("/")[1].replace("-", "_")
            left = backend.request("GET", f"/{collection}")[key]
            assert left == [], f"{collection} left behind: {[o.get('name') for o in left]}"


def _get(backend, collection, object_id):
    key = {
        "vpnservices": "vpnservice",
        "endpoint-groups": "endpoint_group",
        "ipsec-site-connections": "ipsec_site_connection",
        "routers": "router",
    }[collection.split("/")[-1]]
    return backend.request("GET", f"/{collection}/{object_id}")[key]


def _attached_subnets(backend, router_id):
    ports = backend.request("GET", f"/ports?device_id={router_id}")["ports"]
    return {
        ip["subnet_id"]
        for p in ports
        if p["device_owner"] != "network:router_gateway"
        for ip in p["fixed_ips"]
    }


def check_against_neutron(capture, backend):
    """Neutron's view matches ours."""
    assert capture.error is None, capture.error
    gateways = capture.of_type("sitevpn:index:VpnGateway")
    assert len(gateways) == 1
    outputs = gateways[0].outputs
    exported = capture.stack_outputs["gatewayIps"]
    assert outputs["publicIps"] == exported
    for index, service_id in enumerate(outputs["serviceIds"]):
        service = _get(backend, "vpn/vpnservices", service_id)
        router = _get(backend, "routers", service["router_id"])
        gateway_ip = router["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
        assert service["external_v4_ip"] == gateway_ip == exported[index]
        assert service["router_id"] == outputs["routerIds"][index]
        local = _get(backend, "vpn/endpoint-groups", outputs["localEndpointGroupIds"][index])
        assert local["type"] == "subnet"
        assert set(local["endpoints"]) <= _attached_subnets(backend, service["router_id"])
    for pair in capture.of_type("sitevpn:index:VpnConnectionPair"):
        site = pair.name.removeprefix("site-vpn-").removesuffix("-pair")
        conns = [
            _get(backend, "vpn/ipsec-site-connections", cid)
            for cid in pair.outputs["connectionIds"]
        ]
        assert len({c["ikepolicy_id"] for c in conns}) == 1
        assert len({c["ipsecpolicy_id"] for c in conns}) == 1
        assert len({c["psk"] for c in conns}) == 1 and len(conns[0]["psk"]) >= 16
        # no customer device answers here: stored and handed to the agent, never in error
        assert {c["status"] for c in conns} <= {"PENDING_CREATE", "DOWN"}
        peer = _get(backend, "vpn/endpoint-groups", conns[0]["peer_ep_group_id"])
        cgw = capture.named(f"site-vpn-{site}-cgw")
        assert peer["type"] == "cidr" and sorted(peer["endpoints"]) == sorted(
            cgw.outputs["subnets"]
        )


def test_dev_stack_deploys(deploy):
    capture, backend = deploy(stack_config("dev"), "dev")
    check_against_neutron(capture, backend)
    assert len(backend.request("GET", "/vpn/ipsec-site-connections")["ipsec_site_connections"]) == 2


def test_prod_stack_deploys_into_an_existing_vpc(deploy, existing_vpc):
    capture, backend = deploy(stack_config("prod"), "prod", psk=None)  # generated PSKs
    check_against_neutron(capture, backend)
    services = capture.of_type("openstack:vpnaas/service:Service")
    assert services[0].inputs["routerId"] == existing_vpc["router"]["id"]  # the VPC's router
    query = urlencode({"description": "site-vpn: ingress 10.20.0.0/16"})
    rules = backend.request("GET", f"/security-group-rules?{query}")
    assert len(rules["security_group_rules"]) == 1


def test_hub_and_spoke_with_five_sites(deploy):
    capture, backend = deploy(hub_config(5, subnets_per_site=2), "hub5")
    check_against_neutron(capture, backend)
    assert (
        len(backend.request("GET", "/vpn/ipsec-site-connections")["ipsec_site_connections"]) == 10
    )


def _raw(backend, program):
    return runtime.run(program, project="raw", stack="neutron", preview=False, backend=backend)


def test_neutron_rejects_a_local_subnet_that_is_not_on_the_router(cloud):
    backend = as_user(cloud)
    public = cloud.external_network_id

    def program():
        net = openstack.networking.Network("n")
        attached = openstack.networking.Subnet("attached", network_id=net.id, cidr="10.9.1.0/24")
        stray = openstack.networking.Subnet("stray", network_id=net.id, cidr="10.9.2.0/24")
        router = openstack.networking.Router("r", external_network_id=public)
        interface = openstack.networking.RouterInterface(
            "r-if", router_id=router.id, subnet_id=attached.id
        )
        service = openstack.vpnaas.Service("svc", router_id=router.id)
        local = openstack.vpnaas.EndpointGroup(
            "local", type="subnet", endpoints=[attached.id, stray.id]
        )
        peer = openstack.vpnaas.EndpointGroup("peer", type="cidr", endpoints=["172.16.0.0/16"])
        ike = openstack.vpnaas.IkePolicy(
            "ike",
            auth_algorithm="sha256",
            encryption_algorithm="aes-256",
            ike_version="v2",
            pfs="group15",
        )
        ipsec = openstack.vpnaas.IpSecPolicy(
            "ipsec", auth_algorithm="sha256", encryption_algorithm="aes-256", pfs="group15"
        )
        import pulumi

        openstack.vpnaas.SiteConnection(
            "conn",
            vpnservice_id=service.id,
            ikepolicy_id=ike.id,
            ipsecpolicy_id=ipsec.id,
            local_ep_group_id=local.id,
            peer_ep_group_id=peer.id,
            peer_address="22.10.10.22",
            peer_id="22.10.10.22",
            psk="Str0ng-Pre-Shared+Key",
            opts=pulumi.ResourceOptions(depends_on=[interface]),
        )

    try:
        capture = _raw(backend, program)
        assert capture.error is not None
        assert "SubnetIsNotConnectedToRouter" in capture.error
        assert "is not connected to Router" in capture.error
    finally:
        backend.destroy()


def test_neutron_rejects_dpd_timeout_not_above_interval(cloud, run_program):
    backend = as_user(cloud)
    values = copy.deepcopy(stack_config("dev"))
    values["dpd"] = {"intervalSeconds": 30, "timeoutSeconds": 30}
    try:
        capture = run_program(values, stack="dpd", psk=PSK, backend=backend)
        assert capture.error is not None
        assert "dpd_timeout is equal to or less than dpd_interval" in capture.error
    finally:
        backend.destroy()


def _with_eip(address: str) -> dict:
    values = copy.deepcopy(stack_config("dev"))
    values["gateway"]["members"][0]["eip"] = address
    return values


def test_a_member_cannot_choose_the_eip_and_is_told_which_key(cloud, run_program):
    # Neutron's default policy: external_fixed_ips on a router gateway is admin-only
    backend = as_user(cloud)
    try:
        capture = run_program(_with_eip("198.51.100.240"), stack="eip", psk=PSK, backend=backend)
        assert capture.error is not None
        assert "stack 'eip': site-vpn:gateway.members[0].eip = 198.51.100.240" in capture.error
        assert "needs the admin role" in capture.error and "member, reader" in capture.error
        assert "Traceback" not in capture.error
        assert backend.created == []  # refused before anything was made
    finally:
        backend.destroy()


def test_the_cloud_itself_refuses_a_members_chosen_eip(cloud):
    """The program's check mirrors a real refusal (not a guess): Neutron says 403."""
    member = as_user(cloud)
    with pytest.raises(Exception) as refused:
        member.post(
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
    capture, backend = deploy(_with_eip("198.51.100.242"), "eip-admin", user="admin")
    check_against_neutron(capture, backend)
    assert capture.stack_outputs["gatewayIps"][0] == "198.51.100.242"
