"""Generated PSKs rotate tunnel by tunnel: the next generation is prepared (the device configs
carry it) before the connections move to it; generation 1 keeps its name (no re-key on
upgrade)."""

import pytest

from tests.conftest import GENERATED_PSK, PSK, is_secret, unwrap

PASSWORD = "random:index/randomPassword:RandomPassword"
CONNECTION = "openstack:vpnaas/siteConnection:SiteConnection"


def run(run_program, dev, rotation, psk=None):
    values = dev | ({"pskRotation": rotation} if rotation is not None else {})
    return run_program(values, psk=psk)


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
def test_generations(run_program, dev, rotation, passwords, connections_use, devices_get):
    capture = run(run_program, dev, rotation)
    assert capture.error is None, capture.error
    pair = "site-vpn-dc1-pair"
    made = {r.name: r for r in capture.of_type(PASSWORD)}
    assert sorted(made) == [f"{pair}-{p}" for p in passwords]
    # the connections' PSK comes from one generation (the engine's property dependencies)
    for conn in capture.of_type(CONNECTION):
        assert conn.property_dependencies["psk"] == [made[f"{pair}-{connections_use}"].urn]
    # and the device configuration carries the PSK the device should hold: the prepared one
    [pair_resource] = capture.of_type("sitevpn:index:VpnConnectionPair")
    value = GENERATED_PSK if devices_get == "psk" else f"generated:{pair}-{devices_get}"
    device = pair_resource.outputs["devicePsk"]
    assert is_secret(device) and unwrap(device) == value
    assert f'"{value}"' in unwrap(capture.stack_outputs["deviceConfigs"])["dc1"]


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
