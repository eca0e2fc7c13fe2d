"""`pulumi preview --policy-pack policies` with the real engine: the example stacks pass, a
stack that breaks a mandatory policy fails naming it, `--policy-pack-config` takes effect, and
the PSK appears in no CLI output and nowhere unencrypted in the state."""

import copy
import json

import pytest

from tests.conftest import PSK, ROOT, stack_config
from tests.engine import PACK


def _pack(*extra: str) -> tuple[str, ...]:
    return ("--policy-pack", str(PACK), *extra)


@pytest.fixture
def member(engine_as):
    return engine_as("member")


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_example_stacks_pass_the_pack(member, existing_vpc, name):
    stack = member.stack(name, stack_config(name), psk=PSK)
    result = stack.preview(*_pack())
    assert "site-vpn@v0.1.0" in result.output
    assert "mandatory" not in result.output.lower()
    assert PSK not in result.output


def _weak_ike() -> dict:
    values = copy.deepcopy(stack_config("dev"))
    values["ike"] = {"version": "v1"}
    return values


def test_a_mandatory_violation_fails_the_preview_and_names_the_policy(member):
    stack = member.stack("weak", _weak_ike(), psk=PSK)
    failed = stack.preview(*_pack(), check=False)
    assert failed.returncode != 0
    assert "vpn-ike-policy-enforce-ikev2" in failed.output
    assert "mandatory" in failed.output
    assert "ikeVersion = 'v1'" in failed.output
    assert PSK not in failed.output


def test_policy_pack_config_takes_effect(member, tmp_path):
    stack = member.stack("weak-allowed", _weak_ike(), psk=PSK)
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"vpn-ike-policy-enforce-ikev2": {"allowIkeV1": True}}))
    assert stack.preview(*_pack("--policy-pack-config", str(allow))).returncode == 0
    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps({"all": "advisory"}))
    passed = stack.preview(*_pack("--policy-pack-config", str(advisory)))
    assert "vpn-ike-policy-enforce-ikev2" in passed.output and "advisory" in passed.output


def test_the_psk_stays_secret_through_up_and_export(member):
    stack = member.stack("secret", stack_config("dev"), psk=PSK)
    try:
        stack.preview(*_pack())
        stack.up()
        stack.cli("stack", "output")
        exported = json.dumps(stack.export())
        assert PSK not in exported
        assert '"ciphertext"' in exported
        # the engine holds it: shown only on request
        assert PSK in json.dumps(stack.export(show_secrets=True))
        outputs = stack.outputs()
        assert outputs["deviceConfigs"] == "[secret]"
    finally:
        stack.destroy()
    printed = [r for r in stack.runs if "--show-secrets" not in r.args]
    assert len(printed) >= 6 and all(PSK not in r.output for r in printed)


def test_a_failing_program_with_the_pack_loaded_ends_with_its_error(member):
    """The CLI once waited for ever when the program failed while a pack was loaded: it must
    end in seconds with the program's own message (stack, key, value; no traceback)."""
    values = copy.deepcopy(stack_config("dev"))
    values["gateway"]["haMode"] = "active-passive"
    stack = member.stack("bad", values, psk=PSK)
    failed = stack.preview(*_pack(), check=False, timeout=120)
    assert failed.returncode != 0 and failed.seconds < 60
    assert "stack 'bad'" in failed.output and "site-vpn:gateway.haMode" in failed.output
    assert "active-passive" in failed.output
    assert "Traceback" not in failed.output


def test_a_program_that_cannot_start_with_the_pack_loaded_ends_in_seconds(member):
    """The other way the CLI was seen waiting for ever: the program's venv missing while a pack
    is loaded. With the pack in the program's own .venv it ends with the language host's error."""
    stack = member.stack("no-venv", stack_config("dev"), psk=PSK)
    project = stack.workdir / "Pulumi.yaml"
    project.write_text(
        project.read_text().replace(str(ROOT / ".venv"), str(stack.workdir / "gone"))
    )
    failed = stack.preview(*_pack(), check=False, timeout=120)
    assert failed.returncode != 0 and failed.seconds < 60
    assert "program exited with non-zero exit code" in failed.output
