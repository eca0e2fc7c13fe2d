"""Components used directly (as a larger stack would), under set_mocks with a recording monitor."""

import re

import pulumi
import pytest
from pulumi.runtime import mocks, settings

from offline_engine import runtime
from sitevpn.enums import HaMode
from sitevpn.site_vpn import SiteVpn
from sitevpn.vpn_connection_pair import VpnConnectionPair
from tests.conftest import FakeOpenStack, unwrap


@pytest.fixture
def capture():
    """Install the recording monitor as the SDK's mocks for one test."""
    cap = runtime.Capture()
    monitor = runtime.RecordingMonitor(FakeOpenStack(), preview=False, capture=cap)
    mocks.set_mocks(runtime._NoMocks(), "site-vpn", "unit", False, monitor=monitor)
    yield cap
    settings.ROOT.set(None)


def _members():
    return [
        {"name": "a", "external_network_id": "ext"},
        {"name": "b", "external_network_id": "ext"},
    ]


def _site(name: str, third_octet: int, addresses: list[str]):
    return {
        "name": name,
        "customer_gateway": {"addresses": addresses},
        "subnets": [f"172.{third_octet}.0.0/16"],
        "tunnels": [
            {"customer": f"169.254.{third_octet}.2/30"},
            {"customer": f"169.254.{third_octet + 100}.2/30"},
        ],
    }


def _vpn(ha_mode: HaMode, sites, members=None, **extra) -> SiteVpn:
    return SiteVpn(
        "hub",
        {
            "ha_mode": ha_mode,
            "interconnect_subnet": "192.168.2.0/24",
            "members": members or _members(),
            "local_subnets": [
                {"name": "app", "cidr": "192.168.1.0/24", "subnet_id": "s-app", "network_id": "n"}
            ],
            "sites": sites,
            **extra,
        },
    )


@pulumi.runtime.test
def test_hub_and_spoke_three_sites(capture):
    sites = [_site(f"dc{i}", 16 + i, [f"22.0.0.{i}"]) for i in (1, 2, 3)]
    vpn = _vpn(HaMode.ACTIVE_ACTIVE, sites, security_group_ids={"web": "sg-web"})

    def check(args):
        gateway_ips, summaries = args
        assert gateway_ips == ["198.51.100.1", "198.51.100.2"]
        assert [s["name"] for s in summaries] == ["dc1", "dc2", "dc3"]
        # one gateway for every site: two services, two local groups, no matter how many sites
        assert len(capture.of_type("openstack:vpnaas/service:Service")) == 2
        conns = capture.of_type("openstack:vpnaas/siteConnection:SiteConnection")
        assert len(conns) == 6
        peers = capture.of_type("openstack:vpnaas/endpointGroup:EndpointGroup")
        cidr_groups = sorted(
            tuple(p.inputs["endpoints"]) for p in peers if p.inputs["type"] == "cidr"
        )
        assert cidr_groups == [("172.17.0.0/16",), ("172.18.0.0/16",), ("172.19.0.0/16",)]
        for site in ("dc1", "dc2", "dc3"):
            pair = capture.named(f"hub-{site}-pair")
            assert capture.named(f"hub-{site}-pair-conn1").parent == pair.urn
            assert capture.named(f"hub-{site}-pair-ike").parent == pair.urn
        rules = capture.of_type("openstack:networking/secGroupRule:SecGroupRule")
        assert len(rules) == 3 * 2
        assert {r.name for r in rules} >= {"hub-dc2-web-ingress-172-18-0-0-16"}

    return pulumi.Output.all(vpn.gateway_ips, vpn.sites).apply(check)


@pulumi.runtime.test
def test_active_active_maps_both_members_to_one_customer_ip(capture):
    vpn = _vpn(HaMode.ACTIVE_ACTIVE, [_site("dc1", 16, ["22.0.0.1"])])

    def check(_):
        c1 = capture.named("hub-dc1-pair-conn1").inputs
        c2 = capture.named("hub-dc1-pair-conn2").inputs
        assert c1["peerAddress"] == c2["peerAddress"] == "22.0.0.1"
        assert c1["vpnserviceId"] != c2["vpnserviceId"]
        assert c1["initiator"] == c2["initiator"] == "bi-directional"

    return vpn.sites.apply(check)


@pulumi.runtime.test
def test_active_standby_maps_two_customer_ips(capture):
    vpn = _vpn(HaMode.ACTIVE_STANDBY, [_site("dc1", 16, ["22.0.0.1", "22.0.0.2"])])

    def check(_):
        c1 = capture.named("hub-dc1-pair-conn1").inputs
        c2 = capture.named("hub-dc1-pair-conn2").inputs
        assert (c1["peerAddress"], c2["peerAddress"]) == ("22.0.0.1", "22.0.0.2")
        assert (c1["initiator"], c2["initiator"]) == ("bi-directional", "response-only")
        assert c1["vpnserviceId"] == "hub-gateway-a-service-id"
        assert c2["vpnserviceId"] == "hub-gateway-b-service-id"

    return vpn.sites.apply(check)


@pulumi.runtime.test
def test_active_standby_with_a_single_member_shares_its_service(capture):
    vpn = _vpn(
        HaMode.ACTIVE_STANDBY,
        [_site("dc1", 16, ["22.0.0.1", "22.0.0.2"])],
        members=[{"name": "solo", "router_id": "r-existing", "attach": "existing"}],
    )

    def check(_):
        c1 = capture.named("hub-dc1-pair-conn1").inputs
        c2 = capture.named("hub-dc1-pair-conn2").inputs
        assert c1["vpnserviceId"] == c2["vpnserviceId"] == "hub-gateway-solo-service-id"
        assert not capture.of_type("openstack:networking/router:Router")
        assert not capture.of_type("openstack:networking/routerInterface:RouterInterface")

    return vpn.sites.apply(check)


@pulumi.runtime.test
def test_pair_overrides_and_configured_psk(capture):
    pair = VpnConnectionPair(
        "p",
        {
            "ha_mode": HaMode.ACTIVE_ACTIVE,
            "peer_endpoint_group_id": "peer",
            "connections": [
                {
                    "vpnservice_id": "s1",
                    "local_endpoint_group_id": "l1",
                    "peer_address": "22.0.0.1",
                    "tunnel_customer_address": "169.254.70.2/30",
                },
                {
                    "vpnservice_id": "s2",
                    "local_endpoint_group_id": "l2",
                    "peer_address": "22.0.0.1",
                    "tunnel_customer_address": "169.254.71.1/30",
                    "tunnel_gateway_address": "169.254.71.2/30",
                },
            ],
            "ike": {"lifetime_seconds": 28800, "dh_group": "group20"},
            "dpd": {"timeout_seconds": 150},
            "mtu": 1400,
            "psk": "Configured-PSK_0123456789abcdef",
        },
    )

    def check(args):
        tunnels, psk, _ = args
        assert psk == "Configured-PSK_0123456789abcdef"
        assert tunnels[1]["gatewayAddress"] == "169.254.71.2/30"
        assert tunnels[0]["gatewayAddress"] == "169.254.70.1/30"
        ike = capture.named("p-ike").inputs
        assert ike["pfs"] == "group20" and ike["lifetimes"] == [
            {"units": "seconds", "value": 28800.0}
        ]
        assert ike["encryptionAlgorithm"] == "aes-256"  # untouched fields keep the strong default
        conn = capture.named("p-conn1").inputs
        assert conn["mtu"] == 1400
        assert conn["dpds"] == [{"action": "restart", "interval": 30.0, "timeout": 150.0}]
        assert unwrap(conn["psk"]) == psk
        assert not capture.of_type("random:index/randomPassword:RandomPassword")

    # connection_ids resolves only after the registrations the checks read.
    return pulumi.Output.all(pair.tunnels, pair.psk, pair.connection_ids).apply(check)


@pytest.mark.parametrize(
    ("generated", "refusal"),
    [
        ({"psk_rotation": {"prepare": True}}, "psk_rotation rotates a generated PSK"),
        ({"psk_scope": "connection"}, "psk_scope connection chooses how PSKs are generated"),
    ],
)
def test_a_generation_setting_beside_a_given_psk_is_refused_not_ignored(
    capture, generated, refusal
):
    site = _site("dc1", 16, ["198.51.100.10"])
    with pytest.raises(ValueError, match=refusal):
        _vpn(HaMode.ACTIVE_ACTIVE, [site], psk="Sup3r-Secret", **generated)
    assert not [r for r in capture.resources if r.type.startswith("openstack:vpnaas/site")]


def test_pair_rejects_anything_but_two_connections(capture):
    with pytest.raises(ValueError, match="exactly two connections"):
        VpnConnectionPair(
            "p", {"ha_mode": HaMode.ACTIVE_ACTIVE, "peer_endpoint_group_id": "x", "connections": []}
        )


@pytest.mark.parametrize(
    ("section", "setting", "named"),
    [
        ("ike", {"phase1_mode": "aggressive"}, "phase1_mode = 'aggressive'"),
        ("ipsec", {"transform": "ah-esp"}, "transform = 'ah-esp'"),
        ("ipsec", {"encapsulation": "transport"}, "encapsulation = 'transport'"),
    ],
)
def test_pair_refuses_what_the_driver_cannot_run(capture, section, setting, named):
    # component users bypass the stack config: the pair refuses before registering anything
    conn = {"service_id": "s", "local_endpoint_group_id": "l", "peer_address": "203.0.113.9"}
    with pytest.raises(ValueError, match=re.escape(named)):
        VpnConnectionPair(
            "p",
            {
                "ha_mode": HaMode.ACTIVE_ACTIVE,
                "peer_endpoint_group_id": "x",
                "connections": [conn, conn],
                section: setting,
            },
        )
    assert not capture.of_type("openstack:vpnaas/ikePolicy:IkePolicy")


def test_key_combinations_that_name_two_children_alike_are_refused_before_registering():
    from sitevpn.vpn_gateway import VpnGateway

    def program():
        subnets = [
            {"name": "b-x", "cidr": "192.168.0.0/24", "subnet_id": "s1", "network_id": "n"},
            {"name": "x", "cidr": "192.168.1.0/24", "subnet_id": "s2", "network_id": "n"},
        ]
        VpnGateway(
            "gw",
            {
                "members": [
                    {"name": "a", "external_network_id": "ext"},
                    {"name": "a-b", "external_network_id": "ext"},
                ],
                "local_subnets": subnets,
                "interconnect_subnet": "192.168.2.0/24",
            },
        )

    got = runtime.run(program, project="p", stack="s")
    assert (
        got.error is not None
        and (
            "VpnGateway gw: member 'a' with subnet 'b-x' and member 'a-b' with subnet 'x' give "
            "their resources one name (a-b-x)"
        )
        in got.error
    )
    assert got.resources == []
