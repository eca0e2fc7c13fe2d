"""A site's design, resolved once: merge order, defaults, connection plan."""

from hypothesis import given
from hypothesis import strategies as st

from sitevpn import defaults
from sitevpn.design import merged, resolve_crypto, resolve_site, with_gateway_ips
from sitevpn.enums import DhGroup, EncryptionAlgorithm

IKE_KEYS = {
    "encryption": st.sampled_from([e.value for e in EncryptionAlgorithm]),
    "dh_group": st.sampled_from([g.value for g in DhGroup]),
    "lifetime_seconds": st.integers(60, 10**6),
}


@given(
    stack=st.fixed_dictionaries({}, optional=IKE_KEYS),
    site=st.fixed_dictionaries({}, optional=IKE_KEYS),
)
def test_a_site_value_beats_the_stack_value_which_beats_the_default(stack, site):
    crypto = resolve_crypto(merged(stack, site), None, None)
    for key in IKE_KEYS:
        assert crypto.ike[key] == site.get(key, stack.get(key, defaults.IKE[key]))
    assert dict(crypto.ipsec) == defaults.IPSEC and dict(crypto.dpd) == defaults.DPD


def _site(**extra):
    return {
        "name": "dc1",
        "customer_gateway": {"addresses": ["22.10.10.22", "22.10.10.23"]},
        "subnets": ["172.16.0.0/16"],
        "tunnels": [
            {"customer": "169.254.70.2/30"},
            {"customer": "169.254.71.6/30", "gateway": "169.254.71.5/30"},
        ],
        **extra,
    }


def test_active_standby_design_maps_members_roles_ids_and_tunnel_ends():
    design = resolve_site(
        stack="s",
        ha_mode="active-standby",
        members=["a", "b"],
        vpc_cidrs=["192.168.1.0/24"],
        site=_site(mtu=1400),
        stack_wide={"mtu": 1500, "dpd": {"interval_seconds": 10}},
    )
    one, two = design.connections
    assert (one.role, two.role) == ("active", "standby")
    assert (one.customer_address, two.customer_address) == ("22.10.10.22", "22.10.10.23")
    assert one.customer_id == "22.10.10.22" and two.customer_id == "22.10.10.23"
    assert (one.tunnel_gateway, two.tunnel_gateway) == ("169.254.70.1/30", "169.254.71.5/30")
    assert design.mtu == 1400 and design.crypto.dpd["interval_seconds"] == 10
    assert design.crypto.dpd["timeout_seconds"] == defaults.DPD["timeout_seconds"]
    assert one.gateway_address is None
    known = with_gateway_ips(design, {one.member: "198.51.100.1", two.member: "198.51.100.2"})
    assert [c.gateway_address for c in known.connections] == ["198.51.100.1", "198.51.100.2"]


def test_an_ike_id_is_the_peer_identity_of_both_connections():
    site = _site()
    site["customer_gateway"] = {"addresses": ["22.10.10.22"], "ike_id": "dc1.example.net"}
    design = resolve_site(
        stack="s", ha_mode="active-active", members=["a", "b"], vpc_cidrs=[], site=site
    )
    assert {c.customer_id for c in design.connections} == {"dc1.example.net"}
    assert [c.member for c in design.connections] == ["a", "b"]
    assert design.mtu == defaults.MTU
