"""The pack's pure checks: tables and hypothesis properties."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netaddr import IPAddress, IPNetwork, IPSet
from sitevpn_policies.checks.networks import (
    Tagged,
    assignable_addresses,
    is_fqdn,
    is_public_unicast,
    overlapping_pairs,
    parse_cidr,
)
from sitevpn_policies.checks.psk import psk_problems
from sitevpn_policies.checks.tunnels import tunnel_problems

networks = st.builds(
    lambda n, p: IPNetwork(f"{IPAddress(n)}/{p}").cidr,
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
)


def _brute(items):
    return {
        frozenset((a.label, b.label))
        for a, b in itertools.combinations(items, 2)
        if a.net.first <= b.net.last and b.net.first <= a.net.last
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(networks, max_size=40))
def test_sweep_finds_exactly_the_overlapping_pairs(nets):
    items = [Tagged(net, i % 3, f"n{i}") for i, net in enumerate(nets)]
    found = {frozenset((a.label, b.label)) for a, b in overlapping_pairs(items)}
    assert found == _brute(items)


@given(st.lists(networks, max_size=30), st.randoms())
def test_sweep_is_order_independent(nets, rnd):
    items = [Tagged(net, 0, f"n{i}") for i, net in enumerate(nets)]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    key = lambda pairs: {frozenset((a.label, b.label)) for a, b in pairs}  # noqa: E731
    assert key(overlapping_pairs(items)) == key(overlapping_pairs(shuffled))


def test_sweep_scales_to_ten_thousand_networks():
    # 1,000 sites x 10 subnets, disjoint: no pairs, and no quadratic work (would take minutes)
    items = [
        Tagged(IPNetwork(f"10.{i // 256}.{i % 256}.0/24"), i // 10, str(i)) for i in range(10000)
    ]
    assert overlapping_pairs(items) == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("10.0.0.0/8", True),
        ("10.0.0.1/8", False),
        ("10.0.0.0", False),
        ("10.0.0.0/33", False),
        ("2001:db8::/32", False),
        ("010.0.0.0/8", False),
        (None, False),
        (12, False),
    ],
)
def test_parse_cidr(text, ok):
    net, reason = parse_cidr(text)
    assert (net is not None) is ok and (reason is None) is ok


@pytest.mark.parametrize(
    ("cidr", "n"),
    [
        ("10.0.0.0/24", 253),
        ("10.0.0.0/29", 5),
        ("10.0.0.0/30", 1),
        ("10.0.0.0/31", 0),
        ("10.0.0.0/32", 0),
    ],
)
def test_assignable(cidr, n):
    assert assignable_addresses(IPNetwork(cidr)) == n


@pytest.mark.parametrize(
    ("text", "public"),
    [
        ("22.10.10.22", True),
        ("8.8.8.8", True),
        ("10.0.0.1", False),
        ("100.64.0.1", False),
        ("192.0.2.1", False),
        ("203.0.113.1", False),
        ("198.51.100.1", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("22.10.10", False),
    ],
)
def test_public_unicast(text, public):
    assert is_public_unicast(text) is public


@pytest.mark.parametrize(
    ("text", "fqdn"),
    [
        ("vpn.example.com", True),
        ("a.b", False),
        ("1.2.3.4", False),
        ("host", False),
        ("x.example.com.", True),
    ],
)
def test_fqdn(text, fqdn):
    assert is_fqdn(text) is fqdn


def _shape(psk: str) -> str:
    """The same key with every character replaced by one of its class (same length, classes)."""
    from sitevpn_policies.checks.psk import SPECIALS

    def one(c: str) -> str:
        if c.isascii() and c.isupper():
            return "A"
        if c.isascii() and c.islower():
            return "a"
        if c.isascii() and c.isdigit():
            return "0"
        return "~" if c in SPECIALS else " "

    return "".join(one(c) for c in psk)


@given(st.text(min_size=0, max_size=140))
def test_psk_problems_depend_on_the_keys_shape_never_its_content(psk):
    # Messages are a function of length and character classes only: a message that quoted the
    # key (or any part of it) would differ between the key and its same-shape stand-in.
    assert psk_problems(psk, 16) == psk_problems(_shape(psk), 16)


@pytest.mark.parametrize(
    ("psk", "count"),
    [
        ("Abcdefgh12345678", 0),
        ("Abcdefgh-ijklmnop", 0),
        ("abcdefgh12345678", 1),
        ("Ab1!", 1),
        ("Ab1!" * 40, 1),
        ("Abc 1234 efgh ijkl", 1),
        ("abcdefghijklmnop", 1),
    ],
)
def test_psk_problem_count(psk, count):
    assert len(psk_problems(psk, 16)) == count


@pytest.mark.parametrize(
    ("gateway", "customer", "fragment"),
    [
        ("169.254.70.1/30", "169.254.70.2/30", None),
        ("169.254.70.1/30", "169.254.71.2/30", "not in the same /30"),
        ("169.254.70.1/29", "169.254.70.2/30", "is not a /30"),
        ("169.254.70.0/30", "169.254.70.2/30", "not a host address"),
        ("10.0.0.1/30", "10.0.0.2/30", "outside 169.254.0.0/16"),
        ("169.254.195.1/30", "169.254.195.2/30", "reserved range"),
        ("bogus", "169.254.70.2/30", "not an IPv4 interface address"),
    ],
)
def test_tunnel_problems(gateway, customer, fragment):
    problems = tunnel_problems(gateway, customer, IPSet(["169.254.195.0/24"]))
    if fragment is None:
        assert problems == []
    else:
        assert any(fragment in p for p in problems)
