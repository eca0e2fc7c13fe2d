"""The options that make day-2 changes deployable, as the program registers them (the real
engine's behaviour with them is tests/e2e/test_day2.py)."""

import pytest

from offline_engine import runtime

CONNECTION = "openstack:vpnaas/siteConnection:SiteConnection"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_crypto_is_replaced_and_connections_go_before_their_successors(
    run_program, dev, prod, stack
):
    capture: runtime.Capture = run_program({"dev": dev, "prod": prod}[stack])
    policies = capture.of_type("openstack:vpnaas/ikePolicy:IkePolicy") + capture.of_type(
        "openstack:vpnaas/ipSecPolicy:IpSecPolicy"
    )
    assert policies
    # Neutron refuses updates of a policy in use: any change makes a new one
    assert all(p.replace_on_changes == ["*"] for p in policies)
    connections = capture.of_type(CONNECTION)
    assert connections and all(c.delete_before_replace is True for c in connections)
    # endpoint groups: new one first, the connections moved to it, the old one deleted last
    # (the provider would ask for delete-before-replace: Neutron refuses that, group in use)
    groups = capture.of_type("openstack:vpnaas/endpointGroup:EndpointGroup")
    assert groups and all(g.delete_before_replace is False for g in groups)
    # connection 2 of each pair is registered after, and depends on, connection 1
    by_name = {c.name: c for c in connections}
    for name, conn in by_name.items():
        if name.endswith("-conn2"):
            assert by_name[name[: -len("2")] + "1"].urn in conn.dependencies


@pytest.mark.parametrize("protect", [False, True])
def test_protect_guards_what_cannot_be_had_back(run_program, dev, protect):
    """protect: true lets the engine refuse to delete or replace the routers (their EIPs) and a
    created VPC; never the connections or policies, which day-2 changes replace."""
    if protect:
        dev["protect"] = "true"
    capture: runtime.Capture = run_program(dev)
    guarded = {
        "openstack:networking/router:Router",
        "openstack:networking/network:Network",
        "openstack:networking/subnet:Subnet",
    }
    kinds: dict[str, set[bool]] = {}
    for r in capture.resources:
        if r.custom:
            kinds.setdefault(r.type, set()).add(r.protect)
    assert guarded <= set(kinds)
    for kind, flags in kinds.items():
        assert flags == {protect and kind in guarded}, (kind, flags)


def test_accept_previous_changes_the_device_configs_and_nothing_in_the_cloud(run_program, dev):
    """acceptPrevious (a change of algorithms in progress) reaches the device configurations
    only: every resource registers exactly as without it."""
    from tests.conftest import PSK, unwrap

    dev["ike"] = {"dhGroup": "group14"}
    plain = run_program(dev, psk=PSK)
    dev["acceptPrevious"] = {"ike": {"dhGroup": "group15"}}
    rotating = run_program(dev, psk=PSK)
    assert [(r.name, r.inputs) for r in rotating.resources if r.custom] == [
        (r.name, r.inputs) for r in plain.resources if r.custom
    ]
    before, during = (unwrap(c.stack_outputs["deviceConfigs"])["dc1"] for c in (plain, rotating))
    assert "proposals = aes256-sha256-modp2048\n" in before
    assert "proposals = aes256-sha256-modp2048, aes256-sha256-modp3072\n" in during
