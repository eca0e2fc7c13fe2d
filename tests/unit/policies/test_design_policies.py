"""Stack policies: network design, tunnel addresses, pairs and HA, on real program runs."""

import copy

import pulumi_openstack as openstack
import pytest

from offline_engine import runtime
from tests.unit.policies.conftest import (
    STRONG_IKE,
    STRONG_IPSEC,
    connection,
    not_run,
    unknown_in_preview,
    violations,
)

OVERLAP = "vpn-subnets-disallow-overlap"
TYPES = "vpn-site-connection-enforce-endpoint-group-types"
CAPACITY = "vpn-gateway-enforce-interconnect-capacity"
TUNNEL = "vpn-tunnel-addresses-enforce-link-local-30"
REUSE = "vpn-tunnel-addresses-disallow-reuse"
PAIR = "vpn-connection-pair-enforce-shared-crypto"
RAW_PAIR = "vpn-site-connections-configure-shared-crypto"
HA = "vpn-connection-pair-enforce-ha-addressing"
STACK_POLICIES = [OVERLAP, TYPES, CAPACITY, TUNNEL, REUSE, PAIR, RAW_PAIR, HA]


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [False, True])
def test_example_stacks_are_compliant(run_program, evaluate, dev, prod, stack, preview):
    capture = run_program({"dev": dev, "prod": prod}[stack], preview=preview)
    report = evaluate(capture)
    assert [
        d for d in report.diagnostics if d.policy in STACK_POLICIES and "can't run" not in d.message
    ] == []
    assert report.mandatory == []


# --- overlaps ---------------------------------------------------------------------------------


def test_peer_overlapping_local(run_program, evaluate, dev):
    dev["sites"][0]["subnets"] = ["172.16.0.0/16", "192.168.5.0/24"]
    found = violations(evaluate(run_program(dev)), OVERLAP)
    assert len(found) == 1
    assert (
        "site-vpn-dc1-cgw-peer (EndpointGroup).endpoints = '192.168.5.0/24': overlaps local "
        "subnet 192.168.0.0/16: on-premises subnets must not overlap the VPC's local subnets"
    ) in found[0].message
    assert found[0].urn.endswith("::site-vpn-dc1-cgw-peer")


def test_peer_subnets_of_different_sites(run_program, evaluate, prod):
    prod["sites"][1]["subnets"] = ["10.20.0.0/16", "192.168.3.128/25"]
    found = violations(evaluate(run_program(prod)), OVERLAP)
    assert (
        len(found) == 1 and "peer subnets of different sites must not overlap" in found[0].message
    )
    assert "192.168.3.128/25" in found[0].message and "192.168.3.0/24" in found[0].message


def test_local_subnets_overlapping_each_other(run_program, evaluate, prod):
    prod["vpc"]["subnets"][1]["cidr"] = "192.168.1.128/25"
    from tests.conftest import FakeOpenStack

    backend = FakeOpenStack(subnets={"app": "192.168.1.0/24", "db": "192.168.1.128/25"})
    found = violations(evaluate(run_program(prod, backend=backend)), OVERLAP)
    assert len(found) == 1 and "local subnets must not overlap each other" in found[0].message


def test_the_same_onprem_subnet_at_two_sites_is_the_strongest_overlap(run_program, evaluate, prod):
    prod["sites"][1]["subnets"] = list(prod["sites"][0]["subnets"])
    found = violations(evaluate(run_program(prod)), OVERLAP)
    assert found and all("identical subnets" in f.message for f in found)
    assert len(found) == len(prod["sites"][0]["subnets"])


def test_one_site_listing_a_subnet_twice_is_reported(run_program, evaluate, dev):
    dev["sites"][0]["subnets"] = ["172.16.0.0/16", "172.16.0.0/16"]
    found = violations(evaluate(run_program(dev)), OVERLAP)
    assert len(found) == 1 and "identical subnets" in found[0].message


def test_the_same_vpc_cidr_under_two_subnet_names_is_reported(run_program, evaluate, prod):
    prod["vpc"]["subnets"][1]["cidr"] = prod["vpc"]["subnets"][0]["cidr"]
    from tests.conftest import FakeOpenStack

    cidr = prod["vpc"]["subnets"][0]["cidr"]
    backend = FakeOpenStack(subnets={"app": cidr, "db": cidr})
    found = violations(evaluate(run_program(prod, backend=backend)), OVERLAP)
    assert len(found) == 1
    assert "identical subnets, and local subnets must be unique" in found[0].message


def test_overlap_in_a_raw_stack_reads_subnet_resources(evaluate):
    def program():
        net = openstack.networking.Network("net")
        subnet = openstack.networking.Subnet("app", network_id=net.id, cidr="10.1.0.0/16")
        local = openstack.vpnaas.EndpointGroup("local", type="subnet", endpoints=[subnet.id])
        peer = openstack.vpnaas.EndpointGroup("peer", type="cidr", endpoints=["10.1.4.0/24"])
        connection("raw", local_ep_group_id=local.id, peer_ep_group_id=peer.id)

    for preview in (False, True):
        found = violations(evaluate(program, preview=preview), OVERLAP)
        assert (
            len(found) == 1
            and "'10.1.4.0/24': overlaps local subnet 10.1.0.0/16" in found[0].message
        )


def test_overlap_reports_what_is_known_and_flags_the_unknown(evaluate):
    def program():
        connection(
            "known",
            peer_ep_group_id=openstack.vpnaas.EndpointGroup(
                "p1", type="cidr", endpoints=["172.16.0.0/16"]
            ).id,
        )
        connection(
            "also",
            peer_ep_group_id=openstack.vpnaas.EndpointGroup(
                "p2", type="cidr", endpoints=["172.16.8.0/24"]
            ).id,
        )
        connection(
            "later",
            peer_ep_group_id=openstack.vpnaas.EndpointGroup(
                "p3", type="cidr", endpoints=[unknown_in_preview("10.0.0.0/8", "net-x")]
            ).id,
        )

    report = evaluate(program, preview=True)
    assert len(violations(report, OVERLAP)) == 1
    assert len(not_run(report, OVERLAP)) == 1


def test_overlap_can_be_downgraded(run_program, evaluate, dev):
    dev["sites"][0]["subnets"] = ["192.168.5.0/24"]
    found = violations(evaluate(run_program(dev), config={OVERLAP: "advisory"}), OVERLAP)
    assert [d.enforcement_level for d in found] == ["advisory"]


# --- endpoint group types -------------------------------------------------------------------


def test_endpoint_group_types(evaluate):
    def program():
        local = openstack.vpnaas.EndpointGroup(
            "wrong-local", type="cidr", endpoints=["10.0.0.0/24"]
        )
        peer = openstack.vpnaas.EndpointGroup("wrong-peer", type="subnet", endpoints=["subnet-x"])
        connection("c", local_ep_group_id=local.id, peer_ep_group_id=peer.id)

    found = violations(evaluate(program), TYPES)
    messages = sorted(d.message.split("\n")[1] for d in found)
    assert messages == [
        "wrong-local (EndpointGroup).type = 'cidr': is used as localEpGroupId of c, which needs type subnet",
        "wrong-peer (EndpointGroup).type = 'subnet': is used as peerEpGroupId of c, which needs type cidr",
    ]
    # groups outside the stack (existing ids) cannot be judged and are left alone
    assert (
        violations(evaluate(lambda: connection("d", local_ep_group_id="existing-id")), TYPES) == []
    )


# --- interconnection subnet -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "bad"),
    [
        ("192.168.2.0/30", True),
        ("192.168.2.0/31", True),
        ("192.168.2.0/29", False),
        ("192.168.2.0/24", False),
    ],
)
def test_interconnect_capacity(run_program, evaluate, dev, cidr, bad):
    dev["gateway"]["interconnectSubnet"] = cidr
    found = violations(evaluate(run_program(dev)), CAPACITY)
    assert bool(found) is bad
    if bad:
        assert (
            f"site-vpn-gateway (VpnGateway).interconnectSubnet = '{cidr}': offers"
            in found[0].message
        )


def test_interconnect_capacity_config(run_program, evaluate, dev):
    dev["gateway"]["interconnectSubnet"] = "192.168.2.0/29"
    found = violations(
        evaluate(run_program(dev), config={CAPACITY: {"minAssignableAddresses": 8}}), CAPACITY
    )
    assert found and "offers 5 assignable addresses, needs at least 8" in found[0].message


# --- tunnel addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tunnel", "fragment"),
    [
        ({"customer": "10.0.0.2/30"}, "is outside 169.254.0.0/16"),
        ({"customer": "169.254.195.2/30"}, "is in a reserved range"),
        ({"customer": "169.254.70.2/30", "gateway": "169.254.80.1/30"}, "are not in the same /30"),
        (
            {"customer": "169.254.70.2/30", "gateway": "169.254.70.2/30"},
            "both ends use the same address",
        ),
    ],
)
def test_tunnel_address_rules(run_program, evaluate, dev, tunnel, fragment):
    dev["sites"][0]["tunnels"][1] = tunnel
    found = violations(evaluate(run_program(dev)), TUNNEL)
    assert found and all(
        "site-vpn-dc1-pair (VpnConnectionPair).tunnels[1]" in d.message for d in found
    )
    assert any(fragment in d.message for d in found)


def test_tunnel_reserved_ranges_are_configurable(run_program, evaluate, dev):
    config = {TUNNEL: {"reservedTunnelCidrs": ["169.254.70.0/24"]}}
    assert violations(evaluate(run_program(dev), config=config), TUNNEL)


def test_tunnel_reuse_on_one_gateway(run_program, evaluate, prod, dev):
    prod["sites"][1]["tunnels"][0] = {"customer": "169.254.70.2/30"}
    found = violations(evaluate(run_program(prod)), REUSE)
    assert len(found) == 1
    assert (
        "site-vpn-dc2-pair (VpnConnectionPair).tunnels = '169.254.70.0/30': is already used by site-vpn-dc1-pair conn1"
        in found[0].message
    )
    dev["sites"][0]["tunnels"][1] = {"customer": "169.254.70.1/30"}
    assert len(violations(evaluate(run_program(dev)), REUSE)) == 1


# --- pairs and HA -----------------------------------------------------------------------------


def _edit(capture: runtime.Capture, name: str, **changes) -> runtime.Capture:
    """A recorded graph with one resource's inputs/outputs edited, as a transformation would."""
    edited = copy.deepcopy(capture)
    reg = edited.named(name)
    for key, value in changes.items():
        if key == "deps":
            reg.property_dependencies.update(value)
            continue
        reg.inputs[key] = value
        reg.outputs[key] = value
    return edited


def test_pair_must_share_crypto(run_program, evaluate, dev):
    capture = run_program(dev)
    assert violations(evaluate(capture), PAIR) == []
    other = capture.named("site-vpn-dc1-pair-ike")
    rogue = _edit(
        capture,
        "site-vpn-dc1-pair-conn2",
        ikepolicyId="other-ike",
        deps={"ikepolicyId": [other.urn.replace("-ike", "-ike2")]},
    )
    found = violations(evaluate(rogue), PAIR)
    assert len(found) == 1 and (
        "ikepolicyId: the connections use different IKE policy objects, at least one not "
        "declared in this stack" in found[0].message
    )
    secret = {runtime.SIG_KEY: runtime.SECRET_SIG, "value": "Another-Key_123456789"}
    found = violations(
        evaluate(_edit(capture, "site-vpn-dc1-pair-conn2", psk=secret, deps={"psk": []})), PAIR
    )
    assert len(found) == 1 and "different pre-shared keys (values not shown)" in found[0].message
    assert "Another-Key_123456789" not in found[0].message


def test_pair_psk_unknown_in_preview_from_one_generator_is_shared(run_program, evaluate, dev):
    report = evaluate(run_program(dev, preview=True))
    assert violations(report, PAIR) == [] and not_run(report, PAIR) == []


@pytest.mark.parametrize("preview", [False, True])
def test_pair_declaring_a_psk_per_connection_may_hold_two(run_program, evaluate, dev, preview):
    capture = run_program(dev | {"pskScope": "connection"}, preview=preview)
    report = evaluate(capture)
    assert violations(report, PAIR) == [] and not_run(report, PAIR) == []
    # the declaration is what allows two keys: without it, the same pair is refused
    undeclared = evaluate(_edit(capture, "site-vpn-dc1-pair", pskScope="pair"))
    if preview:  # two generators, values unknown: not judged until they are
        assert not_run(undeclared, PAIR) != []
    else:
        [found] = violations(undeclared, PAIR)
        assert "different pre-shared keys (values not shown)" in found.message


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        (None, None),  # one policy object
        ({}, None),  # two objects, one suite: settings are compared, not objects
        ({"name": "ike-b", "description": "tunnel 2"}, None),  # names are not negotiated
        ({"pfs": "group14"}, "ikepolicyId: the connections' IKE policy settings differ (pfs: "),
        (
            {"lifetimes": [{"units": "seconds", "value": 28800}]},
            "IKE policy settings differ (lifetimes: ",
        ),
    ],
)
def test_raw_connections_to_one_site_should_negotiate_the_same(evaluate, second, problem):
    def program():
        peer = openstack.vpnaas.EndpointGroup("peer", type="cidr", endpoints=["172.16.0.0/16"])
        ike1 = openstack.vpnaas.IkePolicy("ike1", **STRONG_IKE)
        ike2 = ike1 if second is None else openstack.vpnaas.IkePolicy("ike2", **STRONG_IKE | second)
        ipsec = openstack.vpnaas.IpSecPolicy("ipsec", **STRONG_IPSEC)
        connection("c1", peer_ep_group_id=peer.id, ikepolicy_id=ike1.id, ipsecpolicy_id=ipsec.id)
        connection("c2", peer_ep_group_id=peer.id, ikepolicy_id=ike2.id, ipsecpolicy_id=ipsec.id)

    found = violations(evaluate(program), RAW_PAIR)
    if problem is None:
        assert found == []
        return
    assert [d.enforcement_level for d in found] == ["advisory"]
    assert "site connections c1, c2 reach the same site but differ: " in found[0].message
    assert problem in found[0].message


def test_ha_addressing(run_program, evaluate, dev, prod):
    capture = run_program(dev)
    assert violations(evaluate(capture), HA) == []
    found = violations(
        evaluate(_edit(capture, "site-vpn-dc1-pair-conn2", peerAddress="22.10.10.99")), HA
    )
    assert found and "active-active reaches one customer gateway address" in found[0].message
    service = capture.named("site-vpn-gateway-a-service")
    same = _edit(
        capture,
        "site-vpn-dc1-pair-conn2",
        vpnserviceId="site-vpn-gateway-a-service-id",
        deps={"vpnserviceId": [service.urn]},
    )
    found = violations(evaluate(same), HA)
    assert found and "active-active needs two gateway IPs" in found[0].message
    capture = run_program(prod)
    assert violations(evaluate(capture), HA) == []
    found = violations(
        evaluate(_edit(capture, "site-vpn-dc1-pair-conn2", peerAddress="22.10.10.22")), HA
    )
    assert (
        found and "active/standby needs two distinct customer gateway addresses" in found[0].message
    )


def test_pair_with_one_connection(run_program, evaluate, dev):
    capture = run_program(dev)
    capture.resources = [r for r in capture.resources if r.name != "site-vpn-dc1-pair-conn2"]
    found = violations(evaluate(capture), PAIR)
    assert found and "connections = 1: a pair has exactly two site connections" in found[0].message
