"""Generated PSKs rotate tunnel by tunnel: the next generation is prepared (the device configs
carry it) before the connections move to it; generation 1 keeps its name (no re-key on
upgrade). Per-connection keys (pskScope connection) follow the same generations."""

import pytest

from sitevpn.device_steps import parse
from sitevpn.enums import PskScope
from sitevpn.psk_keys import OUTPUT, in_use
from tests.conftest import GENERATED_PSK, PSK, is_secret, unwrap

PASSWORD = "random:index/randomPassword:RandomPassword"
CONNECTION = "openstack:vpnaas/siteConnection:SiteConnection"


def run(run_program, dev, rotation, psk=None, scope=None):
    values = dev | ({"pskRotation": rotation} if rotation is not None else {})
    values |= {"pskScope": scope} if scope is not None else {}
    return run_program(values, psk=psk)


def value_of(pair: str, key: str) -> str:
    """What the fake cloud generates for ``<pair>-<key>``."""
    return GENERATED_PSK if key == "psk" else f"generated:{pair}-{key}"


@pytest.mark.parametrize("scope", [None, "pair", "connection"])
@pytest.mark.parametrize(
    "rotation, passwords, connections_use, devices_get",
    [
        (None, ["psk"], "psk", "psk"),
        ({"generation": 1}, ["psk"], "psk", "psk"),
        ({"prepare": True}, ["psk", "psk-2"], "psk", "psk-2"),
        ({"generation": 2}, ["psk-2"], "psk-2", "psk-2"),
        ({"generation": 2, "prepare": True}, ["psk-2", "psk-3"], "psk-2", "psk-3"),
    ],
)
def test_generations(run_program, dev, scope, rotation, passwords, connections_use, devices_get):
    capture = run(run_program, dev, rotation, scope=scope)
    assert capture.error is None, capture.error
    pair = "site-vpn-dc1-pair"
    # per connection: connection 1 keeps the pair's key, connection 2 has one of its own
    owners = ["", "conn2-"] if scope == "connection" else ["", ""]
    made = {r.name: r for r in capture.of_type(PASSWORD)}
    assert sorted(made) == sorted({f"{pair}-{o}{p}" for p in passwords for o in owners})
    # each connection's PSK comes from one generation (the engine's property dependencies)
    conns = sorted(capture.of_type(CONNECTION), key=lambda c: c.name)
    for conn, owner in zip(conns, owners, strict=True):
        assert conn.property_dependencies["psk"] == [made[f"{pair}-{owner}{connections_use}"].urn]
    # and the device configuration carries, per tunnel, the PSK the device should hold
    [pair_resource] = capture.of_type("sitevpn:index:VpnConnectionPair")
    values = [value_of(pair, f"{owner}{devices_get}") for owner in owners]
    device = pair_resource.outputs["devicePsks"]
    assert is_secret(device) and unwrap(device) == values
    assert unwrap(pair_resource.outputs["pskScope"]) == (scope or "pair")
    # what the next update checks a change of scope against
    generation = (rotation or {}).get("generation", 1)
    assert capture.stack_outputs[OUTPUT] == in_use(generation, PskScope(scope or "pair"))
    secrets = parse(unwrap(capture.stack_outputs["deviceConfigs"])["dc1"]).secrets
    for key, value in zip(["conn1", "conn2"], values, strict=True):
        assert f'secret = "{value}"' in secrets[f"ike-dc1-{key}"]


def test_a_configured_psk_is_not_generated_per_connection(run_program, dev):
    capture = run(run_program, dev, None, psk=PSK, scope="connection")
    assert "site-vpn:pskScope chooses how PSKs are generated" in capture.error
    assert "stack 'test'" in capture.error and PSK not in capture.error
    assert not capture.of_type(CONNECTION)


def test_a_configured_psk_is_not_rotated_by_generation(run_program, dev):
    capture = run(run_program, dev, {"prepare": True}, psk=PSK)
    assert "site-vpn:pskRotation rotates generated PSKs" in capture.error
    assert "stack 'test'" in capture.error and PSK not in capture.error
    assert not capture.of_type(CONNECTION)


@pytest.mark.parametrize("rotation", [{"generation": 0}, {"generation": "2"}, {"prepare": "yes"}])
def test_invalid_rotation_is_refused(run_program, dev, rotation):
    capture = run(run_program, dev, rotation)
    assert capture.error and "site-vpn:pskRotation" in capture.error
    assert not capture.of_type(CONNECTION)


@pytest.mark.parametrize(("scope", "prepared"), [(None, "connection"), ("connection", "pair")])
def test_the_next_generation_is_prepared_in_the_scope_asked_for(run_program, dev, scope, prepared):
    # how a scope changes: the connections keep theirs, the devices get the new scope's keys
    capture = run(run_program, dev, {"prepare": True, "scope": prepared}, scope=scope)
    assert capture.error is None, capture.error
    pair = "site-vpn-dc1-pair"
    made = {r.name: r for r in capture.of_type(PASSWORD)}
    now = ["", "conn2-"] if scope == "connection" else ["", ""]
    then = ["", "conn2-"] if prepared == "connection" else ["", ""]
    conns = sorted(capture.of_type(CONNECTION), key=lambda c: c.name)
    for conn, owner in zip(conns, now, strict=True):
        assert conn.property_dependencies["psk"] == [made[f"{pair}-{owner}psk"].urn]
    [pair_resource] = capture.of_type("sitevpn:index:VpnConnectionPair")
    device = unwrap(pair_resource.outputs["devicePsks"])
    assert device == [value_of(pair, f"{owner}psk-2") for owner in then]
    assert unwrap(pair_resource.outputs["pskScope"]) == (scope or "pair")


def test_a_prepared_scope_needs_prepare(run_program, dev):
    capture = run(run_program, dev, {"scope": "connection"})
    assert "site-vpn:pskRotation.scope = 'connection'" in capture.error
    assert "only with prepare: true" in capture.error and not capture.of_type(CONNECTION)


@pytest.mark.parametrize("scope", ["tunnel", "", 1])
def test_invalid_scope_is_refused(run_program, dev, scope):
    capture = run(run_program, dev, None, scope=scope)
    assert capture.error and "site-vpn:pskScope" in capture.error
    assert not capture.of_type(CONNECTION)
