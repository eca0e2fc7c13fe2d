"""Every malformed stack config fails with one clear message and registers nothing."""

import copy
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitevpn.config import ConfigError, StackConfig, load_stack_config
from tests.conftest import PSK, engine_config, stack_config


def _set(values, path, value):
    """Set values[path] (dotted, with integer list indexes); value DELETE removes the key."""
    *parents, last = path.split(".")
    node = values
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key = int(last) if last.isdigit() else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value


DELETE = object()

# (stack, path, new value, what the message must name: key path and offending value)
CASES = [
    (
        "dev",
        "vpc.subnets.0.cidr",
        "192.168.0.0/33",
        "site-vpn:vpc.subnets[0].cidr",
        "'192.168.0.0/33'",
    ),
    ("dev", "vpc.subnets.0.cidr", "192.168.1.7/16", "site-vpn:vpc.subnets[0].cidr", "host bits"),
    (
        "dev",
        "sites.0.subnets.0",
        "172.16.0.1/16",
        "site-vpn:sites[0].subnets[0]",
        "'172.16.0.1/16'",
    ),
    ("dev", "sites.0.subnets.0", "172.16.0.0", "site-vpn:sites[0].subnets[0]", "'172.16.0.0'"),
    (
        "dev",
        "sites.0.subnets.0",
        "2001:db8::/32",
        "site-vpn:sites[0].subnets[0]",
        "'2001:db8::/32'",
    ),
    ("dev", "gatway", {"haMode": "active-active"}, "site-vpn:gatway", "unknown key"),
    ("dev", "gateway.haMod", "active-active", "site-vpn:gateway.haMod", "unknown key"),
    ("dev", "sites.0.psk", "plain-text-psk!", "site-vpn:sites[0].psk", "unknown key"),
    ("dev", "sites.0.subnets", DELETE, "site-vpn:sites[0].subnets", "required key is missing"),
    ("dev", "gateway.interconnectSubnet", DELETE, "site-vpn:gateway.interconnectSubnet", "missing"),
    ("dev", "gateway.haMode", "active-passive", "site-vpn:gateway.haMode", "'active-passive'"),
    # a former key of a site may not be a current site's key
    ("dev", "sites.0.renamedFrom", ["dc1"], "site-vpn:sites[0].renamedFrom[0]", "a current site"),
    ("dev", "sites.0.renamedFrom", ["DC1"], "site-vpn:sites[0].renamedFrom[0]", "'DC1'"),
    # a removal is acknowledged only for a key taken out of the file
    ("dev", "removals", {"sites": ["dc1"]}, "site-vpn:removals.sites[0]", "still in the stack"),
    ("dev", "removals", {"members": ["b"]}, "site-vpn:removals.members[0]", "still in the stack"),
    ("dev", "removals", {"subnets": ["vpc"]}, "site-vpn:removals.subnets[0]", "still in the stack"),
    ("dev", "protect", "yes", "site-vpn:protect", "boolean"),
    (
        "dev",
        "sites.0.tunnels.0.customer",
        "169.254.70.3/30",
        "site-vpn:sites[0].tunnels[0].customer",
        "'169.254.70.3/30'",
    ),
    (
        "dev",
        "sites.0.tunnels.1.customer",
        "169.254.71.2/29",
        "site-vpn:sites[0].tunnels[1].customer",
        "'169.254.71.2/29'",
    ),
    (
        "dev",
        "sites.0.tunnels.1.customer",
        "169.254.71.0/30",
        "site-vpn:sites[0].tunnels[1].customer",
        "'169.254.71.0/30'",
    ),
    ("dev", "sites.0.tunnels.1", DELETE, "site-vpn:sites[0].tunnels", "at least 2"),
    (
        "dev",
        "sites.0.customerGateway.addresses",
        ["22.10.10.22", "22.10.10.23"],
        "site-vpn:sites[0].customerGateway.addresses",
        "active-active needs 1",
    ),
    (
        "dev",
        "sites.0.customerGateway.addresses.0",
        "22.10.10",
        "site-vpn:sites[0].customerGateway.addresses[0]",
        "'22.10.10'",
    ),
    (
        "dev",
        "sites.0.customerGateway.addresses.0",
        22101022,
        "site-vpn:sites[0].customerGateway.addresses[0]",
        "22101022",
    ),
    ("dev", "sites.0.name", "DC 1", "site-vpn:sites[0].name", "'DC 1'"),
    ("dev", "ike", {"version": "v3"}, "site-vpn:ike.version", "'v3'"),
    ("dev", "ike", {"auth": "md5"}, "site-vpn:ike.auth", "'md5'"),
    ("dev", "ipsec", {"pfs": "group1"}, "site-vpn:ipsec.pfs", "'group1'"),
    ("dev", "ipsec", {"lifetimeSeconds": 0}, "site-vpn:ipsec.lifetimeSeconds", "0"),
    ("dev", "ike", {"lifetimeSeconds": "1h"}, "site-vpn:ike.lifetimeSeconds", "'1h'"),
    # accepted by the API, but not what neutron-vpnaas's strongSwan driver can run
    ("dev", "ike", {"phase1Mode": "aggressive"}, "site-vpn:ike.phase1Mode", "use 'main'"),
    ("dev", "ipsec", {"transform": "ah-esp"}, "site-vpn:ipsec.transform", "ESP alone"),
    ("dev", "ipsec", {"encapsulation": "transport"}, "site-vpn:ipsec.encapsulation", "'tunnel'"),
    (
        "prod",
        "sites.1.ike",
        {"version": "v1", "phase1Mode": "aggressive"},
        "site-vpn:sites[1].ike.phase1Mode",
        "'aggressive'",
    ),
    ("dev", "dpd", {"action": "explode"}, "site-vpn:dpd.action", "'explode'"),
    ("dev", "mtu", "big", "site-vpn:mtu", "'big'"),
    (
        "dev",
        "gateway.members",
        [{"name": "a"}, {"name": "b"}, {"name": "c"}],
        "site-vpn:gateway.members",
        "at most 2",
    ),
    (
        "dev",
        "gateway.members",
        [{"name": "a"}, {"name": "a"}],
        "site-vpn:gateway.members[1].name = 'a'",
        "duplicate member name 'a'",
    ),
    (
        "dev",
        "gateway.members",
        [{"name": "a"}],
        "site-vpn:gateway",
        "active-active needs two gateway members",
    ),
    ("dev", "gateway.externalNetwork", DELETE, "site-vpn:gateway", "externalNetwork is required"),
    (
        "dev",
        "gateway.externalNetwork",
        {"name": "public", "id": "abc"},
        "site-vpn:gateway.externalNetwork",
        "exactly one",
    ),
    ("dev", "vpc.subnets.0.id", "abc", "site-vpn:vpc", "cannot name existing subnet ids"),
    ("dev", "sites", "dc1", "site-vpn:sites", "valid list"),
    ("prod", "sites.1.name", "dc1", "site-vpn:sites[1].name = 'dc1'", "duplicate site name 'dc1'"),
    (
        "prod",
        "sites.0.customerGateway.addresses",
        ["22.10.10.22"],
        "site-vpn:sites[0].customerGateway.addresses",
        "active-standby needs 2",
    ),
    ("prod", "gateway.members.0.attach", "glue", "site-vpn:gateway.members[0].attach", "'glue'"),
    (
        "prod",
        "securityGroups",
        [{"name": "web"}, {"name": "web"}],
        "site-vpn:securityGroups",
        "duplicate",
    ),
]


@pytest.mark.parametrize(
    ("stack", "path", "value", "key", "shown"),
    CASES,
    ids=[f"{c[0]}:{c[1]}={c[2]!r}"[:60] for c in CASES],
)
def test_invalid_config_fails_clearly_and_registers_nothing(
    run_program, stack, path, value, key, shown
):
    values = copy.deepcopy(stack_config(stack))
    _set(values, path, value)
    capture = run_program(values, stack=stack, psk=PSK)
    assert capture.error is not None, "invalid config was accepted"
    assert capture.resources == [], "something was registered before the config error"
    assert capture.error.startswith(f"stack '{stack}': invalid site-vpn configuration")
    assert key in capture.error and shown in capture.error
    assert "Traceback" not in capture.error
    assert PSK not in capture.error
    # one clear line per problem: header + exactly one problem line here
    assert len(capture.error.splitlines()) == 2


@pytest.mark.parametrize("members", [1, 2])
def test_a_key_per_connection_needs_tunnels_told_apart(run_program, members):
    # prod's dc2 has one customer identity: with one member, both tunnels have the same ends
    values = copy.deepcopy(stack_config("prod")) | {"pskScope": "connection"}
    values["gateway"]["members"] = values["gateway"]["members"][-members:]
    capture = run_program(values, stack="prod")
    if members == 2:
        assert capture.error is None, capture.error
        return
    assert capture.resources == [] and "Traceback" not in capture.error
    assert capture.error.startswith("stack 'prod': invalid site-vpn configuration")
    assert "site-vpn:sites[1].customerGateway.ikeId = 'dc2-vpn.example.net'" in capture.error
    assert "pskScope connection needs each tunnel's ends to differ" in capture.error


def test_at_least_twenty_invalid_configurations():
    assert len(CASES) >= 20


def test_plaintext_psk_is_refused_without_echoing_it(run_program, dev):
    values = dict(dev, psk="my-plaintext-psk-1234")
    capture = run_program(values)
    assert "site-vpn:psk: must be a secret" in capture.error
    assert "my-plaintext-psk-1234" not in capture.error
    assert capture.resources == []


def test_other_keys_may_not_be_secret(run_program, dev):
    config_values = engine_config(dev)
    err = None
    try:
        load_stack_config(config_values, {"site-vpn:sites"}, "dev")
    except ConfigError as exc:
        err = str(exc)
    assert err and "site-vpn:sites: only ['psk'] may be secret" in err
    assert "22.10.10.22" not in err


def test_non_site_vpn_namespaces_are_ignored(dev):
    raw = engine_config(dev) | {"openstack:region": "RegionOne", "aws:region": "x"}
    assert isinstance(load_stack_config(raw, set(), "dev"), StackConfig)


# --- hypothesis: anything at any field is either accepted or a ConfigError, never a crash ---

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(string.printable, max_size=20)
    | st.sampled_from(
        ["192.168.0.0/16", "169.254.70.2/30", "active-standby", "group14", "v2", "a"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


BASES = {name: stack_config(name) for name in ("dev", "prod")}
ALL_PATHS = [(name, p) for name, base in BASES.items() for p in _paths(base) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(ALL_PATHS), value=json_values, as_string=st.booleans())
def test_arbitrary_values_never_crash(target, value, as_string):
    name, path = target
    values = copy.deepcopy(BASES[name])
    node = values
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    raw = engine_config(values)
    if as_string:  # also feed raw non-JSON strings where structured values are expected
        raw[f"site-vpn:{path[0]}"] = json.dumps(value)[:30]
    try:
        load_stack_config(raw, set(), name)
    except ConfigError as exc:
        assert str(exc).startswith(f"stack '{name}': invalid site-vpn configuration")
        assert "Traceback" not in str(exc)
