"""The example stacks produce exactly the expected resource graph under the real SDK runtime."""

import pytest

from offline_engine import runtime
from tests.conftest import FakeOpenStack, is_secret, unwrap

NET = "openstack:networking"
VPN = "openstack:vpnaas"
COMPONENT = "sitevpn:index"

# (type, name, parent name) in a stable order: the whole dev graph, nothing more.
DEV_GRAPH = {
    ("pulumi:providers:openstack", "default_5_5_1", None),
    ("pulumi:providers:random", "default_4_21_1", None),
    (f"{COMPONENT}:Vpc", "site-vpn-vpc", "site-vpn-test"),
    (f"{NET}/network:Network", "site-vpn-vpc-network", "site-vpn-vpc"),
    (f"{NET}/subnet:Subnet", "site-vpn-vpc-vpc", "site-vpn-vpc"),
    (f"{COMPONENT}:SiteVpn", "site-vpn", "site-vpn-test"),
    (f"{COMPONENT}:VpnGateway", "site-vpn-gateway", "site-vpn"),
    (f"{NET}/router:Router", "site-vpn-gateway-a-router", "site-vpn-gateway"),
    (f"{NET}/routerInterface:RouterInterface", "site-vpn-gateway-a-vpc-if", "site-vpn-gateway"),
    (f"{VPN}/service:Service", "site-vpn-gateway-a-service", "site-vpn-gateway"),
    (f"{VPN}/endpointGroup:EndpointGroup", "site-vpn-gateway-a-local", "site-vpn-gateway"),
    (f"{NET}/router:Router", "site-vpn-gateway-b-router", "site-vpn-gateway"),
    (f"{NET}/port:Port", "site-vpn-gateway-b-vpc-port", "site-vpn-gateway"),
    (f"{NET}/routerInterface:RouterInterface", "site-vpn-gateway-b-vpc-if", "site-vpn-gateway"),
    (f"{VPN}/service:Service", "site-vpn-gateway-b-service", "site-vpn-gateway"),
    (f"{VPN}/endpointGroup:EndpointGroup", "site-vpn-gateway-b-local", "site-vpn-gateway"),
    (f"{COMPONENT}:CustomerGateway", "site-vpn-dc1-cgw", "site-vpn"),
    (f"{VPN}/endpointGroup:EndpointGroup", "site-vpn-dc1-cgw-peer", "site-vpn-dc1-cgw"),
    (f"{COMPONENT}:VpnConnectionPair", "site-vpn-dc1-pair", "site-vpn"),
    (f"{VPN}/ikePolicy:IkePolicy", "site-vpn-dc1-pair-ike", "site-vpn-dc1-pair"),
    (f"{VPN}/ipSecPolicy:IpSecPolicy", "site-vpn-dc1-pair-ipsec", "site-vpn-dc1-pair"),
    ("random:index/randomPassword:RandomPassword", "site-vpn-dc1-pair-psk", "site-vpn-dc1-pair"),
    (f"{VPN}/siteConnection:SiteConnection", "site-vpn-dc1-pair-conn1", "site-vpn-dc1-pair"),
    (f"{VPN}/siteConnection:SiteConnection", "site-vpn-dc1-pair-conn2", "site-vpn-dc1-pair"),
}


def graph(capture: runtime.Capture) -> set[tuple[str, str, str | None]]:
    names = {r.urn: r.name for r in capture.resources}
    stack_name = "site-vpn-test"
    out = set()
    for r in capture.resources:
        parent = names.get(r.parent) if r.parent != capture.stack_urn else stack_name
        out.add((r.type, r.name, parent if r.parent else None))
    return out


def test_dev_graph_is_exactly_the_data_plan(run_program, dev):
    capture = run_program(dev)
    assert capture.error is None
    assert graph(capture) == DEV_GRAPH


def test_dev_vpnaas_inputs(run_program, dev):
    capture = run_program(dev, psk=None)
    ike = capture.named("site-vpn-dc1-pair-ike").inputs
    assert ike == {
        "name": "site-vpn-dc1-pair-ike",
        "ikeVersion": "v2",
        "encryptionAlgorithm": "aes-256",
        "authAlgorithm": "sha256",
        "pfs": "group15",
        "phase1NegotiationMode": "main",
        "lifetimes": [{"units": "seconds", "value": 86400.0}],
    }
    ipsec = capture.named("site-vpn-dc1-pair-ipsec").inputs
    assert ipsec == {
        "name": "site-vpn-dc1-pair-ipsec",
        "encryptionAlgorithm": "aes-256",
        "authAlgorithm": "sha256",
        "pfs": "group15",
        "transformProtocol": "esp",
        "encapsulationMode": "tunnel",
        "lifetimes": [{"units": "seconds", "value": 3600.0}],
    }
    peer = capture.named("site-vpn-dc1-cgw-peer").inputs
    assert peer["type"] == "cidr" and peer["endpoints"] == ["172.16.0.0/16"]
    for member in "ab":
        local = capture.named(f"site-vpn-gateway-{member}-local").inputs
        assert local["type"] == "subnet"
        assert local["endpoints"] == ["site-vpn-vpc-vpc-id"]
    conns = [capture.named(f"site-vpn-dc1-pair-conn{i}") for i in (1, 2)]
    for conn, member in zip(conns, "ab", strict=True):
        i = conn.inputs
        assert i["vpnserviceId"] == f"site-vpn-gateway-{member}-service-id"
        assert i["localEpGroupId"] == f"site-vpn-gateway-{member}-local-id"
        assert i["peerEpGroupId"] == "site-vpn-dc1-cgw-peer-id"
        assert i["peerAddress"] == i["peerId"] == "22.10.10.22"
        assert i["ikepolicyId"] == "site-vpn-dc1-pair-ike-id"
        assert i["ipsecpolicyId"] == "site-vpn-dc1-pair-ipsec-id"
        assert i["initiator"] == "bi-directional"
        assert i["adminStateUp"] is True and i["mtu"] == 1500
        assert i["dpds"] == [{"action": "restart", "interval": 30.0, "timeout": 120.0}]
        assert is_secret(i["psk"]) and conn.additional_secret_outputs == ["psk"]
    # Connection 2 waits for connection 1: never both tunnels down at once.
    assert conns[0].urn in conns[1].dependencies
    assert conns[1].urn not in conns[0].dependencies


def test_dev_subnet_attachment(run_program, dev):
    capture = run_program(dev)
    a_if = capture.named("site-vpn-gateway-a-vpc-if").inputs
    assert a_if == {"routerId": "site-vpn-gateway-a-router-id", "subnetId": "site-vpn-vpc-vpc-id"}
    port = capture.named("site-vpn-gateway-b-vpc-port").inputs
    assert port["fixedIps"] == [{"subnetId": "site-vpn-vpc-vpc-id"}]
    assert port["networkId"] == "site-vpn-vpc-network-id"
    b_if = capture.named("site-vpn-gateway-b-vpc-if").inputs
    assert b_if == {
        "routerId": "site-vpn-gateway-b-router-id",
        "portId": "site-vpn-gateway-b-vpc-port-id",
    }
    for member in "ab":
        router = capture.named(f"site-vpn-gateway-{member}-router").inputs
        assert router["externalNetworkId"] == "network-public"
        service = capture.named(f"site-vpn-gateway-{member}-service")
        assert service.inputs["routerId"] == f"site-vpn-gateway-{member}-router-id"
        # The service waits for the subnet attachments Neutron checks at connection time.
        assert capture.named(f"site-vpn-gateway-{member}-vpc-if").urn in service.dependencies


def test_dev_exports(run_program, dev):
    capture = run_program(dev)
    out = capture.stack_outputs
    assert out["haMode"] == "active-active"
    assert out["gatewayIps"] == ["198.51.100.1", "198.51.100.2"]
    assert out["localCidrs"] == ["192.168.0.0/16"]
    assert out["interconnectSubnet"] == "192.168.2.0/24"
    assert out["sites"] == [
        {
            "name": "dc1",
            "customerAddresses": ["22.10.10.22"],
            "subnets": ["172.16.0.0/16"],
            "connectionIds": ["site-vpn-dc1-pair-conn1-id", "site-vpn-dc1-pair-conn2-id"],
        }
    ]
    pair = capture.named("site-vpn-dc1-pair").outputs
    assert pair["tunnels"] == [
        {
            "connection": "conn1",
            "role": "active",
            "initiator": "bi-directional",
            "gatewayAddress": "169.254.70.1/30",
            "customerAddress": "169.254.70.2/30",
        },
        {
            "connection": "conn2",
            "role": "active",
            "initiator": "bi-directional",
            "gatewayAddress": "169.254.71.1/30",
            "customerAddress": "169.254.71.2/30",
        },
    ]


def test_prod_graph(run_program, prod):
    capture = run_program(prod)
    assert capture.error is None
    counts: dict[str, int] = {}
    for r in capture.resources:
        counts[r.type] = counts.get(r.type, 0) + 1
    assert counts == {
        "pulumi:providers:openstack": 1,
        "pulumi:providers:random": 1,
        f"{COMPONENT}:SiteVpn": 1,
        f"{COMPONENT}:VpnGateway": 1,
        f"{COMPONENT}:CustomerGateway": 2,
        f"{COMPONENT}:VpnConnectionPair": 2,
        # member a is the existing VPC router: no router, no attachment
        f"{NET}/router:Router": 1,
        f"{NET}/port:Port": 2,
        f"{NET}/routerInterface:RouterInterface": 2,
        f"{VPN}/service:Service": 2,
        f"{VPN}/endpointGroup:EndpointGroup": 4,
        f"{VPN}/ikePolicy:IkePolicy": 2,
        f"{VPN}/ipSecPolicy:IpSecPolicy": 2,
        "random:index/randomPassword:RandomPassword": 2,
        f"{VPN}/siteConnection:SiteConnection": 4,
        # one group x 3 on-premises subnets x 2 directions
        f"{NET}/secGroupRule:SecGroupRule": 6,
    }
    assert capture.named("site-vpn-gateway-a-service").inputs["routerId"] == "router-vpc-router"
    for subnet in ("app", "db"):
        port = capture.named(f"site-vpn-gateway-b-{subnet}-port").inputs
        assert port["fixedIps"] == [{"subnetId": f"subnet-{subnet}"}]
        assert capture.named(f"site-vpn-gateway-b-{subnet}-if").inputs == {
            "routerId": "site-vpn-gateway-b-router-id",
            "portId": f"site-vpn-gateway-b-{subnet}-port-id",
        }
    assert capture.named("site-vpn-gateway-a-local").inputs["endpoints"] == [
        "subnet-app",
        "subnet-db",
    ]
    assert capture.named("site-vpn-dc2-pair-ipsec").inputs["lifetimes"] == [
        {"units": "seconds", "value": 1800.0}
    ]
    assert capture.named("site-vpn-dc1-pair-ipsec").inputs["lifetimes"][0]["value"] == 3600.0


@pytest.mark.parametrize(
    "site,addresses,peer_id",
    [
        ("dc1", ("22.10.10.22", "22.10.10.23"), None),
        ("dc2", ("36.20.20.36", "36.20.20.37"), "dc2-vpn.example.net"),
    ],
)
def test_prod_active_standby_mapping(run_program, prod, site, addresses, peer_id):
    capture = run_program(prod)
    c1 = capture.named(f"site-vpn-{site}-pair-conn1").inputs
    c2 = capture.named(f"site-vpn-{site}-pair-conn2").inputs
    assert (c1["peerAddress"], c2["peerAddress"]) == addresses
    assert (c1["initiator"], c2["initiator"]) == ("bi-directional", "response-only")
    assert c1["vpnserviceId"] == "site-vpn-gateway-a-service-id"
    assert c2["vpnserviceId"] == "site-vpn-gateway-b-service-id"
    assert c1["peerId"] == (peer_id or addresses[0]) and c2["peerId"] == (peer_id or addresses[1])
    # Both connections share one IKE policy, one IPsec policy and one PSK by construction.
    for key in ("ikepolicyId", "ipsecpolicyId", "peerEpGroupId"):
        assert c1[key] == c2[key]
    assert unwrap(c1["psk"]) == unwrap(c2["psk"])


def test_prod_security_group_rules(run_program, prod):
    capture = run_program(prod)
    rules = {
        (r.inputs["direction"], r.inputs["remoteIpPrefix"])
        for r in capture.of_type(f"{NET}/secGroupRule:SecGroupRule")
    }
    cidrs = {"192.168.3.0/24", "192.168.4.0/24", "10.20.0.0/16"}
    assert rules == {(d, c) for d in ("ingress", "egress") for c in cidrs}
    for r in capture.of_type(f"{NET}/secGroupRule:SecGroupRule"):
        assert r.inputs["securityGroupId"] == "secgroup-app-servers"
        assert r.inputs["ethertype"] == "IPv4"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_with_unknown_ids_runs_clean(run_program, stack, dev, prod):
    values = {"dev": dev, "prod": prod}[stack]
    capture = run_program(values, preview=True, backend=_NoCloud())
    assert capture.error is None
    conn = capture.named("site-vpn-dc1-pair-conn1")
    assert conn.inputs["vpnserviceId"] == runtime.UNKNOWN
    assert capture.stack_outputs["gatewayIps"] == runtime.UNKNOWN


class _NoCloud(FakeOpenStack):
    def invoke(self, token, args, preview):
        return None  # offline: nothing can be looked up


def test_declared_cidr_drift_stops_before_anything_registers(run_program, prod):
    backend = FakeOpenStack(subnets={"app": "192.168.9.0/24", "db": "192.168.2.0/24"})
    capture = run_program(prod, stack="prod", backend=backend)
    assert capture.error is not None
    assert "stack 'prod'" in capture.error
    assert "vpc.subnets[0] ('app')" in capture.error
    assert "192.168.1.0/24" in capture.error and "192.168.9.0/24" in capture.error
    assert "Traceback" not in capture.error
    assert capture.resources == []
