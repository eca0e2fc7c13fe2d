"""Pure design logic: tables and hypothesis properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netaddr import IPAddress, IPNetwork

from sitevpn.enums import HaMode, Initiator
from sitevpn.topology import cidr_slug, connection_plan, tunnel_other_end


@pytest.mark.parametrize(
    ("address", "other"),
    [
        ("169.254.70.2/30", "169.254.70.1/30"),
        ("169.254.70.1/30", "169.254.70.2/30"),
        ("10.0.0.5/30", "10.0.0.6/30"),
    ],
)
def test_tunnel_other_end(address, other):
    assert tunnel_other_end(address) == other


@pytest.mark.parametrize(
    "bad", ["169.254.70.0/30", "169.254.70.3/30", "169.254.70.2/29", "169.254.70.2/31"]
)
def test_tunnel_other_end_rejects_non_hosts(bad):
    with pytest.raises(ValueError):
        tunnel_other_end(bad)


@given(
    st.integers(0, 2**32 - 1).map(lambda n: IPNetwork(f"{IPAddress(n)}/30").cidr),
    st.sampled_from([1, 2]),
)
def test_tunnel_ends_are_an_involution_inside_one_slash30(net, host):
    address = f"{IPAddress(net.first + host)}/30"
    other = tunnel_other_end(address)
    assert other != address
    assert IPNetwork(other).cidr == net
    assert tunnel_other_end(other) == address


@pytest.mark.parametrize(
    ("mode", "members", "addresses", "expected"),
    [
        (
            HaMode.ACTIVE_ACTIVE,
            ["a", "b"],
            ["22.0.0.1"],
            [
                ("conn1", "a", "22.0.0.1", Initiator.BI_DIRECTIONAL),
                ("conn2", "b", "22.0.0.1", Initiator.BI_DIRECTIONAL),
            ],
        ),
        (
            HaMode.ACTIVE_STANDBY,
            ["a", "b"],
            ["22.0.0.1", "22.0.0.2"],
            [
                ("conn1", "a", "22.0.0.1", Initiator.BI_DIRECTIONAL),
                ("conn2", "b", "22.0.0.2", Initiator.RESPONSE_ONLY),
            ],
        ),
        (
            HaMode.ACTIVE_STANDBY,
            ["solo"],
            ["22.0.0.1", "22.0.0.2"],
            [
                ("conn1", "solo", "22.0.0.1", Initiator.BI_DIRECTIONAL),
                ("conn2", "solo", "22.0.0.2", Initiator.RESPONSE_ONLY),
            ],
        ),
    ],
)
def test_connection_plan(mode, members, addresses, expected):
    plan = connection_plan(mode, members, addresses)
    assert [(p.role.key, p.member, p.customer_address, p.role.initiator) for p in plan] == expected


@pytest.mark.parametrize(
    ("mode", "members", "addresses", "message"),
    [
        (HaMode.ACTIVE_ACTIVE, ["a"], ["22.0.0.1"], "two gateway members"),
        (HaMode.ACTIVE_ACTIVE, ["a", "b"], ["22.0.0.1", "22.0.0.2"], "exactly one customer"),
        (HaMode.ACTIVE_STANDBY, ["a", "b"], ["22.0.0.1"], "two customer gateway addresses"),
        (HaMode.ACTIVE_STANDBY, [], ["22.0.0.1", "22.0.0.2"], "one or two members"),
        (HaMode.ACTIVE_STANDBY, ["a", "b", "c"], ["22.0.0.1", "22.0.0.2"], "one or two members"),
    ],
)
def test_connection_plan_rejects(mode, members, addresses, message):
    with pytest.raises(ValueError, match=message):
        connection_plan(mode, members, addresses)


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_cidr_slug_is_stable_and_urn_safe(n, prefix):
    cidr = str(IPNetwork(f"{IPAddress(n)}/{prefix}").cidr)
    slug = cidr_slug(cidr)
    assert slug == cidr_slug(cidr)
    assert set(slug) <= set("0123456789-")
    assert slug.split("-")[-1] == str(prefix)
