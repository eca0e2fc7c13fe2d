"""The device-config renderer: mapping tables, both HA modes, placeholders, quoting."""

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn.design import resolve_site, with_gateway_ips
from sitevpn.device_config import (
    DH_GROUPS,
    esp_proposal,
    ike_proposal,
    render_swanctl,
)
from sitevpn.device_steps import parse
from sitevpn.enums import AuthAlgorithm, DhGroup, EncryptionAlgorithm


@pytest.mark.parametrize(
    ("group", "name"),
    [
        ("group14", "modp2048"),
        ("group15", "modp3072"),
        ("group16", "modp4096"),
        ("group19", "ecp256"),
        ("group20", "ecp384"),
        ("group21", "ecp521"),
        ("group31", "curve25519"),
    ],
)
def test_dh_mapping(group, name):
    assert DH_GROUPS[group] == name


@pytest.mark.parametrize(
    ("enc", "auth", "group", "ike", "esp"),
    [
        ("aes-256", "sha256", "group15", "aes256-sha256-modp3072", "aes256-sha256-modp3072"),
        ("aes-128", "sha512", "group19", "aes128-sha512-ecp256", "aes128-sha512-ecp256"),
        (
            "aes-256-gcm-16",
            "sha384",
            "group20",
            "aes256gcm16-prfsha384-ecp384",
            "aes256gcm16-ecp384",
        ),
        (
            "aes-128-ccm-8",
            "sha256",
            "group31",
            "aes128ccm8-prfsha256-curve25519",
            "aes128ccm8-curve25519",
        ),
        (
            "aes-256-ctr",
            "aes-xcbc",
            "group16",
            "aes256ctr-aesxcbc-modp4096",
            "aes256ctr-aesxcbc-modp4096",
        ),
    ],
)
def test_proposals(enc, auth, group, ike, esp):
    assert ike_proposal(enc, auth, group) == ike
    assert esp_proposal(enc, auth, group) == esp


@given(
    st.sampled_from(list(EncryptionAlgorithm)),
    st.sampled_from(list(AuthAlgorithm)),
    st.sampled_from(list(DhGroup)),
)
def test_every_neutron_value_maps(enc, auth, group):
    # every value the config accepts renders to a proposal ending in the DH group (PFS)
    assert esp_proposal(enc.value, auth.value, group.value).endswith(DH_GROUPS[group.value])
    assert re.fullmatch(
        r"[a-z0-9]+-[a-z0-9]+-[a-z0-9]+", ike_proposal(enc.value, auth.value, group.value)
    )


def design(ha_mode="active-active", addresses=("22.10.10.22",), ips=None, **extra):
    site = {
        "name": "dc1",
        "customer_gateway": {"addresses": list(addresses)}
        | ({"ike_id": extra["ike_id"]} if extra.get("ike_id") else {}),
        "subnets": ["172.16.0.0/16"],
        "tunnels": [{"customer": "169.254.70.2/30"}, {"customer": "169.254.71.2/30"}],
    } | {k: extra[k] for k in ("ike", "ipsec", "dpd") if k in extra}
    resolved = resolve_site(
        stack="dev",
        ha_mode=ha_mode,
        members=["a", "b"],
        vpc_cidrs=["192.168.1.0/24", "192.168.2.0/24"],
        site=site,
    )
    return with_gateway_ips(
        resolved, ips if ips is not None else {"a": "198.51.100.1", "b": "198.51.100.2"}
    )


def test_active_active_rendering():
    text = render_swanctl(design(), "Str0ng-PSK")
    assert text.count("local_addrs = 22.10.10.22") == 2
    assert "remote_addrs = 198.51.100.1" in text and "remote_addrs = 198.51.100.2" in text
    assert text.count("local_ts = 172.16.0.0/16") == 2
    assert text.count("remote_ts = 192.168.1.0/24, 192.168.2.0/24") == 2
    assert text.count("\n        proposals = aes256-sha256-modp3072") == 2
    assert text.count("esp_proposals = aes256-sha256-modp3072") == 2
    assert "version = 2" in text and "life_time = 3600s" in text and "rekey_time = 77760s" in text
    assert "dpd_delay = 30s" in text and "dpd_action = restart" in text
    assert "#   conn1 (active): device 169.254.70.2/30  <->  cloud 169.254.70.1/30" in text
    assert "priority" not in text  # active-active: both equal
    assert text.count('secret = "Str0ng-PSK"') == 2


def test_active_standby_rendering_prefers_connection_1():
    text = render_swanctl(design("active-standby", ("22.10.10.22", "22.10.10.23")), "k")
    first, second = text.split("    dc1-conn2 {", 1)
    assert "local_addrs = 22.10.10.22" in first and "priority = 1000" in first
    assert "local_addrs = 22.10.10.23" in second and "priority = 2000" in second
    assert "#   conn2 (standby)" in text


def test_overrides_and_identity():
    text = render_swanctl(
        design(
            ike={"version": "v1", "lifetime_seconds": 28800, "dh_group": "group20"},
            ipsec={"pfs": "group21", "lifetime_seconds": 1800},
            dpd={"action": "hold", "interval_seconds": 10, "timeout_seconds": 40},
            ike_id="dc1.example.net",
        ),
        "k",
    )
    assert "version = 1" in text and "proposals = aes256-sha256-ecp384" in text
    assert "esp_proposals = aes256-sha256-ecp521" in text and "life_time = 1800s" in text
    assert "dpd_action = trap" in text and "dpd_delay = 10s" in text
    assert text.count("id = dc1.example.net") == 2 and "id-1 = dc1.example.net" in text


def test_ah_is_offered_as_ah():
    # the driver renders transform 'ah' as ah=<auth>-<pfs>: the device must offer AH, not ESP
    text = render_swanctl(design(ipsec={"transform": "ah", "auth": "sha512"}), "k")
    assert text.count("ah_proposals = sha512-modp3072") == 2
    assert "esp_proposals" not in text


def test_unknown_gateway_addresses_are_placeholders():
    text = render_swanctl(design(ips={"a": None, "b": None}), "k")
    assert "remote_addrs = <EIP of gateway member a>" in text
    assert "remote_addrs = <EIP of gateway member b>" in text


def test_psk_is_quoted():
    assert 'secret = "a\\"b\\\\c"' in render_swanctl(design(), 'a"b\\c')


def test_stack_output_matches_the_renderer(run_program, dev):
    from tests.conftest import PSK, unwrap

    capture = run_program(dev, psk=PSK)
    configs = unwrap(capture.stack_outputs["deviceConfigs"])
    assert set(configs) == {"dc1"}
    text = configs["dc1"]
    assert "remote_addrs = 198.51.100.1" in text and "remote_addrs = 198.51.100.2" in text
    assert "local_ts = 172.16.0.0/16" in text and "remote_ts = 192.168.0.0/16" in text
    assert f'secret = "{PSK}"' in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("site", "dc1\n}\nevil {"),
        ("site", "dc1 # comment"),
        ("stack", "dev\r\nconnections {"),
        ("onprem_cidrs", ("172.16.0.0/16", "10.0.0.0/8\n")),
    ],
)
def test_the_renderer_refuses_anything_but_plain_tokens(field, value):
    # Second line of defence: a design built without the config's validation cannot open a
    # block or a line of its own in swanctl.conf.
    hostile = dataclasses.replace(design(), **{field: value})
    with pytest.raises(ValueError, match="is not a plain token"):
        render_swanctl(hostile, "Str0ng-PSK")


def test_each_connection_holds_its_own_key_when_given_one_each():
    secrets = parse(render_swanctl(design(), ["K3y-of-conn1", "K3y-of-conn2"])).secrets
    assert 'secret = "K3y-of-conn1"' in secrets["ike-dc1-conn1"]
    assert 'secret = "K3y-of-conn2"' in secrets["ike-dc1-conn2"]
    assert "conn2" not in secrets["ike-dc1-conn1"] and "conn1" not in secrets["ike-dc1-conn2"]
    with pytest.raises(ValueError, match="1 pre-shared keys for 2 connections"):
        render_swanctl(design(), ["K3y-of-conn1"])
    with pytest.raises(ValueError, match="control character"):
        render_swanctl(design(), ["K3y-of-conn1", "K3y\n}"])


def test_the_renderer_refuses_a_psk_with_a_control_character_without_showing_it():
    with pytest.raises(ValueError) as raised:
        render_swanctl(design(), 'Str0ng-PSK"\n}\nevil')
    assert "control character" in str(raised.value) and "Str0ng" not in str(raised.value)


def rotating(previous: dict, **current) -> str:
    """The device config of a site whose stack-wide crypto changed, the previous declared."""
    site = {
        "name": "dc1",
        "customer_gateway": {"addresses": ["22.10.10.22"]},
        "subnets": ["172.16.0.0/16"],
        "tunnels": [{"customer": "169.254.70.2/30"}, {"customer": "169.254.71.2/30"}],
    }
    resolved = resolve_site(
        stack="dev",
        ha_mode="active-active",
        members=["a", "b"],
        vpc_cidrs=["192.168.1.0/24"],
        site=site,
        stack_wide=current | {"accept_previous": previous},
    )
    return render_swanctl(with_gateway_ips(resolved, {"a": "1.1.1.1", "b": "2.2.2.2"}), "k")


def lines(text: str, key: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip().startswith(key)}


def test_during_a_change_of_algorithms_the_device_accepts_both_new_first():
    text = rotating(
        {"ike": {"dh_group": "group15"}, "ipsec": {"pfs": "group15"}},
        ike={"dh_group": "group14", "auth": "sha384"},
        ipsec={"pfs": "group14", "encryption": "aes-128"},
    )
    assert lines(text, "proposals") == {
        "proposals = aes256-sha384-modp2048, aes256-sha256-modp3072"
    }
    assert lines(text, "esp_proposals") == {
        "esp_proposals = aes128-sha256-modp2048, aes256-sha256-modp3072"
    }
    assert lines(text, "version") == {"version = 2"}


def test_a_previous_block_left_out_or_unchanged_adds_nothing():
    plain = render_swanctl(design(ike={"dh_group": "group14"}), "k")
    assert lines(rotating({}, ike={"dh_group": "group14"}), "proposals") == lines(
        plain, "proposals"
    )
    same = rotating({"ike": {"dh_group": "group14"}}, ike={"dh_group": "group14"})
    assert lines(same, "proposals") == {"proposals = aes256-sha256-modp2048"}


def test_from_ah_to_esp_the_device_offers_both_protocols():
    text = rotating({"ipsec": {"transform": "ah"}}, ipsec={"transform": "esp"})
    assert lines(text, "esp_proposals") == {"esp_proposals = aes256-sha256-modp3072"}
    assert lines(text, "ah_proposals") == {"ah_proposals = sha256-modp3072"}
