"""The program's resource graph deployed into a real Neutron + neutron-vpnaas API."""

import copy
import time
from urllib.parse import urlencode

import pulumi_openstack as openstack
import pytest

from bench.sites import hub_config
from sitevpn.engine import runtime
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


@pytest.fixture
def deploy(cloud, run_program):
    """Deploy a config into Neutron; everything is destroyed afterwards (and checked gone)."""
    backends = []

    def run(values, stack, psk=PSK):
        backend = NeutronBackend(cloud["url"])
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
        assert {c["status"] for c in conns} == {"PENDING_CREATE"}  # no agents: stored, not active
        peer = _get(backend, "vpn/endpoint-groups", conns[0]["peer_ep_group_id"])
        cgw = capture.named(f"site-vpn-{site}-cgw")
        assert peer["type"] == "cidr" and sorted(peer["endpoints"]) == sorted(
            cgw.outputs["subnets"]
        )


def test_dev_stack_deploys(deploy):
    capture, backend = deploy(stack_config("dev"), "dev")
    check_against_neutron(capture, backend)
    assert len(backend.request("GET", "/vpn/ipsec-site-connections")["ipsec_site_connections"]) == 2


def test_prod_stack_deploys_into_an_existing_vpc(deploy, cloud):
    capture, backend = deploy(stack_config("prod"), "prod", psk=None)  # generated PSKs
    check_against_neutron(capture, backend)
    services = capture.of_type("openstack:vpnaas/service:Service")
    assert services[0].inputs["routerId"] == cloud["vpc_router"]  # member a: the VPC's router
    query = urlencode({"description": "site-vpn: ingress 10.20.0.0/16"})
    rules = backend.request("GET", f"/security-group-rules?{query}")
    assert len(rules["security_group_rules"]) == 1


def test_hub_and_spoke_with_five_sites(deploy):
    capture, backend = deploy(hub_config(5, subnets_per_site=2), "hub5")
    check_against_neutron(capture, backend)
    assert (
        len(backend.request("GET", "/vpn/ipsec-site-connections")["ipsec_site_connections"]) == 10
    )


def _raw(cloud, backend, program):
    capture = runtime.run(program, project="raw", stack="neutron", preview=False, backend=backend)
    return capture


def test_neutron_rejects_a_local_subnet_that_is_not_on_the_router(cloud):
    backend = NeutronBackend(cloud["url"])

    def program():
        net = openstack.networking.Network("n")
        attached = openstack.networking.Subnet("attached", network_id=net.id, cidr="10.9.1.0/24")
        stray = openstack.networking.Subnet("stray", network_id=net.id, cidr="10.9.2.0/24")
        router = openstack.networking.Router("r", external_network_id=cloud["public"])
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
        capture = _raw(cloud, backend, program)
        assert capture.error is not None
        assert "SubnetIsNotConnectedToRouter" in capture.error
        assert "is not connected to Router" in capture.error
    finally:
        backend.destroy()


def test_neutron_rejects_dpd_timeout_not_above_interval(cloud, run_program):
    backend = NeutronBackend(cloud["url"])
    values = copy.deepcopy(stack_config("dev"))
    values["dpd"] = {"intervalSeconds": 30, "timeoutSeconds": 30}
    try:
        capture = run_program(values, stack="dpd", psk=PSK, backend=backend)
        assert capture.error is not None
        assert "dpd_timeout is equal to or less than dpd_interval" in capture.error
    finally:
        backend.destroy()
