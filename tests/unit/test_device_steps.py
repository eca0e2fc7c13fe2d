"""The customer device's configuration changes one connection at a time."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn.device_config import render_swanctl
from sitevpn.device_steps import DeviceConfigError, parse, steps
from sitevpn.enums import DhGroup, EncryptionAlgorithm
from tests.unit.test_device_config import design

PSK, NEW_PSK = "Str0ng-PSK-0123456789", "N3w-PSK-9876543210"


def differing(a: str, b: str) -> set[str]:
    """The connections (with their secrets) in which two files differ."""
    x, y = parse(a), parse(b)
    return {
        name
        for name in x.connections
        if x.connections[name] != y.connections[name]
        or x.secrets[f"ike-{name}"] != y.secrets[f"ike-{name}"]
    }


@pytest.mark.parametrize("ha_mode", ["active-active", "active-standby"])
def test_a_rendered_file_is_its_blocks(ha_mode):
    addresses = ("22.10.10.22",) if ha_mode == "active-active" else ("22.10.10.22", "22.1.1.1")
    text = render_swanctl(design(ha_mode, addresses), PSK)
    parsed = parse(text)
    assert list(parsed.connections) == ["dc1-conn1", "dc1-conn2"]
    assert list(parsed.secrets) == ["ike-dc1-conn1", "ike-dc1-conn2"]
    assert parsed.text() == text


changes = st.fixed_dictionaries(
    {},
    optional={
        "ike": st.fixed_dictionaries({"dh_group": st.sampled_from(list(DhGroup))}),
        "ipsec": st.fixed_dictionaries({"encryption": st.sampled_from(list(EncryptionAlgorithm))}),
        "dpd": st.just({"interval_seconds": 10, "timeout_seconds": 40}),
    },
)


@given(before=changes, after=changes, rotate=st.booleans())
def test_each_step_moves_one_connection_and_the_last_is_the_target(before, after, rotate):
    current = render_swanctl(design(**before), PSK)
    target = render_swanctl(design(**after), NEW_PSK if rotate else PSK)
    files = [step.text for step in steps(current, target)]
    assert len(files) == len(differing(current, target))
    previous = current
    for file in files:
        assert len(differing(previous, file)) == 1  # never both tunnels in one load
        previous = file
    assert files[-1:] in ([], [target])


def test_connection_1_moves_first():
    current = render_swanctl(design(), PSK)
    target = render_swanctl(design(ike={"dh_group": "group14"}), PSK)
    first, last = steps(current, target)
    assert (first.connection, last.connection) == ("dc1-conn1", "dc1-conn2")
    assert differing(current, first.text) == {"dc1-conn1"}
    assert "step 1 of 2" in first.text and last.text == target


def test_a_file_that_is_not_ours_is_refused():
    with pytest.raises(DeviceConfigError):
        steps("conn dc1\n  left=%defaultroute\n", render_swanctl(design(), PSK))


def test_files_of_different_sites_are_refused():
    other = render_swanctl(design(), PSK).replace("dc1-", "dc2-")
    with pytest.raises(DeviceConfigError, match="different connections"):
        steps(render_swanctl(design(), PSK), other)


def test_an_error_never_shows_a_line_of_the_file():
    mangled = 'secret = "' + PSK + '"\n' + render_swanctl(design(), PSK)
    with pytest.raises(DeviceConfigError) as caught:
        steps(mangled, render_swanctl(design(), PSK))
    assert "line 1" in str(caught.value) and PSK not in str(caught.value)


def test_a_new_key_for_connection_2_alone_moves_connection_2_alone():
    # switching to a key per connection: connection 1 keeps the pair's key
    current = render_swanctl(design(), PSK)
    target = render_swanctl(design(), [PSK, NEW_PSK])
    [step] = steps(current, target)
    assert step.connection == "dc1-conn2" and step.text == target
