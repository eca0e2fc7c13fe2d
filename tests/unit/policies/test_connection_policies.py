"""Site connection and peer-subnet rules."""

import pulumi
import pulumi_openstack as openstack
import pytest

from tests.unit.policies.conftest import (
    GOOD_PSK,
    connection,
    not_run,
    unknown_in_preview,
    violations,
)

PSK = "vpn-site-connection-enforce-psk-strength"
DPD = "vpn-site-connection-enforce-dpd"
MTU = "vpn-site-connection-enforce-mtu"
ADMIN = "vpn-site-connection-enforce-admin-state-up"
GROUPS = "vpn-site-connection-enforce-endpoint-groups"
PUBLIC = "vpn-site-connection-enforce-public-peer-address"
CIDRS = "vpn-endpoint-group-enforce-valid-cidrs"
RESERVED = "vpn-peer-subnets-disallow-reserved-ranges"
CONNECTED = "vpn-peer-subnets-disallow-connected-overlap"
ALL = [PSK, DPD, MTU, ADMIN, GROUPS, PUBLIC, CIDRS, RESERVED, CONNECTED]


def conn(**overrides):
    return lambda: connection(**overrides)


def peer_group(*cidrs):
    return lambda: openstack.vpnaas.EndpointGroup("peer", type="cidr", endpoints=list(cidrs))


def test_compliant_connection(evaluate):
    report = evaluate(conn())
    assert [d for d in report.diagnostics if d.policy in ALL] == []


@pytest.mark.parametrize(
    ("psk", "fragment"),
    [
        ("Short1!", "length 7 is outside 16-128 characters"),
        (
            "alllowercaseletters",
            "fewer than three character classes (missing: upper, digit, special)",
        ),
        ("UPPERlowerwordsonly", "fewer than three character classes (missing: digit, special)"),
        ("UPPER-lower-only-words", None),
        ("Valid-Length-But a space 1", "contains 3 character(s) outside"),
        ("A1!" + "x" * 130, "length 133 is outside 16-128"),
    ],
)
def test_weak_psk(evaluate, psk, fragment):
    report = evaluate(conn(psk=pulumi.Output.secret(psk)))
    found = violations(report, PSK)
    if fragment is None:  # three classes (upper, lower, special) and long enough: fine
        assert found == []
        return
    assert found and any(fragment in d.message for d in found)
    for d in report.diagnostics:
        assert psk not in d.message and psk[:6] not in d.message.split(":", 1)[-1]
        assert "psk = [secret]" in d.message or d.policy != PSK


def test_empty_psk(evaluate):
    report = evaluate(conn(psk=pulumi.Output.secret("")))
    messages = [d.message for d in violations(report, PSK)]
    assert any(
        "conn (SiteConnection).psk = [secret]: length 0 is outside 16-128" in m for m in messages
    )


def test_psk_unknown_in_preview_is_not_judged(evaluate):
    # the unknown must be made inside the program run, like everything a program registers
    report = evaluate(
        lambda: connection(psk=pulumi.Output.secret(unknown_in_preview("weak"))), preview=True
    )
    assert violations(report, PSK) == [] and len(not_run(report, PSK)) == 1


def test_psk_minimum_length_is_configurable(evaluate):
    program = conn(psk=pulumi.Output.secret("Abcdef1!xy"))
    assert violations(evaluate(program), PSK)
    assert violations(evaluate(program, config={PSK: {"minPskLength": 8}}), PSK) == []
    assert violations(evaluate(conn(), config={PSK: {"minPskLength": 32}}), PSK)


@pytest.mark.parametrize(
    ("dpds", "fragment"),
    [
        (
            [{"action": "disabled", "interval": 30, "timeout": 120}],
            "dpds[0].action = 'disabled': must be one of restart, hold",
        ),
        ([{"action": "clear", "interval": 30, "timeout": 120}], "dpds[0].action = 'clear'"),
        (
            [{"action": "restart", "interval": 30, "timeout": 30}],
            "dpds[0].timeout = 30: must be greater than the interval (30 s)",
        ),
        ([{"action": "hold", "interval": 60, "timeout": 20}], "dpds[0].timeout = 20"),
    ],
)
def test_dpd_violations(evaluate, dpds, fragment):
    found = violations(evaluate(conn(dpds=dpds)), DPD)
    assert len(found) == 1 and fragment in found[0].message


def test_dpd_provider_default_is_compliant(evaluate):
    # neutron's default (hold, 30 s, 120 s) satisfies the rule
    assert violations(evaluate(conn(dpds=None)), DPD) == []


def test_mtu(evaluate):
    assert (
        "conn (SiteConnection).mtu = 60: must be at least 68"
        in violations(evaluate(conn(mtu=60)), MTU)[0].message
    )
    assert violations(evaluate(conn(mtu=None)), MTU) == []  # default 1500
    assert violations(evaluate(conn(mtu=1280), config={MTU: {"minMtu": 1400}}), MTU)
    report = evaluate(lambda: connection(mtu=unknown_in_preview(60)), preview=True)
    assert violations(report, MTU) == [] and not_run(report, MTU)


def test_admin_state_is_advisory(evaluate):
    found = violations(evaluate(conn(admin_state_up=False)), ADMIN)
    assert [d.enforcement_level for d in found] == ["advisory"]
    assert violations(evaluate(conn(admin_state_up=None)), ADMIN) == []  # default: up
    found = violations(evaluate(conn(admin_state_up=False), config={ADMIN: "mandatory"}), ADMIN)
    assert [d.enforcement_level for d in found] == ["mandatory"]


def test_endpoint_groups_required_and_not_mixed(evaluate):
    found = violations(evaluate(conn(local_ep_group_id=None)), GROUPS)
    assert (
        len(found) == 1
        and "localEpGroupId = None: endpoint groups are required" in found[0].message
    )
    found = violations(evaluate(conn(peer_ep_group_id=None, peer_cidrs=["172.16.0.0/16"])), GROUPS)
    assert len(found) == 2 and "legacy peer_cidrs must not be used" in found[1].message
    # unknown group ids during preview are set, not missing
    assert violations(evaluate(conn(), preview=True), GROUPS) == []


@pytest.mark.parametrize(
    "address",
    [
        "10.1.1.1",
        "192.168.1.1",
        "172.16.5.5",
        "100.64.1.1",
        "127.0.0.1",
        "169.254.1.1",
        "224.0.0.5",
        "192.0.2.10",
        "198.51.100.7",
        "203.0.113.9",
        "240.0.0.1",
        "0.0.0.0",
        "1.2.3",
        "not a host",
    ],
)
def test_peer_address_must_be_public(evaluate, address):
    found = violations(evaluate(conn(peer_address=address)), PUBLIC)
    assert len(found) == 1 and f"peerAddress = '{address}'" in found[0].message


@pytest.mark.parametrize(
    "address", ["22.10.10.22", "8.8.4.4", "vpn.example.com", "dc1-gw.corp.example.net"]
)
def test_public_peer_addresses_pass(evaluate, address):
    assert violations(evaluate(conn(peer_address=address)), PUBLIC) == []


@pytest.mark.parametrize(
    ("cidrs", "fragment"),
    [
        (
            ["172.16.0.1/16"],
            "endpoints[0] = '172.16.0.1/16': has host bits set (the network is 172.16.0.0/16)",
        ),
        (["2001:db8::/32"], "endpoints[0] = '2001:db8::/32': is not an IPv4 network"),
        (["172.16.0.0"], "is not an IPv4 network in a.b.c.d/n notation"),
        (
            [f"10.{i}.0.0/16" for i in range(51)],
            "endpoints = '51 subnets': at most 50 peer subnets",
        ),
    ],
)
def test_peer_cidrs_valid(evaluate, cidrs, fragment):
    found = violations(evaluate(peer_group(*cidrs)), CIDRS)
    assert len(found) == 1 and fragment in found[0].message


def test_peer_cidr_limit_is_configurable(evaluate):
    program = peer_group(*[f"10.{i}.0.0/16" for i in range(5)])
    assert violations(evaluate(program), CIDRS) == []
    assert violations(evaluate(program, config={CIDRS: {"maxPeerSubnets": 4}}), CIDRS)


def test_subnet_groups_are_not_peer_cidrs(evaluate):
    def program():
        openstack.vpnaas.EndpointGroup("local", type="subnet", endpoints=["not-a-cidr"])

    report = evaluate(program)
    assert violations(report, CIDRS) == [] and violations(report, RESERVED) == []


@pytest.mark.parametrize(
    ("cidr", "reserved"),
    [
        ("100.64.0.0/16", "100.64.0.0/10"),
        ("214.10.0.0/16", "214.0.0.0/8"),
        ("100.0.0.0/8", "100.64.0.0/10"),
        ("127.0.0.0/8", "127.0.0.0/8"),
        ("169.254.0.0/24", "169.254.0.0/16"),
        ("239.1.0.0/16", "224.0.0.0/3"),
    ],
)
def test_reserved_peer_ranges(evaluate, cidr, reserved):
    found = violations(evaluate(peer_group("172.16.0.0/16", cidr)), RESERVED)
    assert (
        len(found) == 1
        and f"endpoints[1] = '{cidr}': overlaps the reserved range {reserved}" in found[0].message
    )


def test_reserved_ranges_apply_to_legacy_peer_cidrs_and_are_configurable(evaluate):
    program = conn(peer_ep_group_id=None, peer_cidrs=["100.64.5.0/24"])
    assert violations(evaluate(program), RESERVED)
    assert (
        violations(
            evaluate(program, config={RESERVED: {"reservedCidrs": ["214.0.0.0/8"]}}), RESERVED
        )
        == []
    )
    assert violations(
        evaluate(peer_group("10.9.0.0/16"), config={RESERVED: {"reservedCidrs": ["10.0.0.0/8"]}}),
        RESERVED,
    )


def test_unknown_peer_cidrs_during_preview(evaluate):
    program = lambda: openstack.vpnaas.EndpointGroup(  # noqa: E731
        "peer", type="cidr", endpoints=[unknown_in_preview("100.64.0.0/16")]
    )
    report = evaluate(program, preview=True)
    assert violations(report, RESERVED) == [] and not_run(report, RESERVED)


def test_connected_cidrs(evaluate):
    program = peer_group("172.16.0.0/16", "10.50.0.0/16")
    assert violations(evaluate(program), CONNECTED) == []  # nothing connected by default
    config = {CONNECTED: {"connectedCidrs": ["10.50.8.0/24", "192.168.0.0/16"]}}
    found = violations(evaluate(program, config=config), CONNECTED)
    assert (
        len(found) == 1
        and "endpoints[1] = '10.50.0.0/16': overlaps 10.50.8.0/24" in found[0].message
    )


def test_the_psk_is_never_in_any_diagnostic(evaluate):
    weak = "weakweakweakweak"

    def program():
        connection("a", psk=pulumi.Output.secret(weak))
        connection("b", psk=pulumi.Output.secret(GOOD_PSK))

    report = evaluate(program)
    assert violations(report, PSK)
    for d in report.diagnostics:
        assert weak not in d.message and GOOD_PSK not in d.message
