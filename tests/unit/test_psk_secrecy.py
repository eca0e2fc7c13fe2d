"""The PSK is a secret everywhere the engine could see it: inputs, outputs, exports, logs."""

import json

import pytest

from offline_engine import runtime
from sitevpn.render import redact
from tests.conftest import GENERATED_PSK, PSK, is_secret, unwrap

GENERATED = GENERATED_PSK


def _plaintext_leaks(value, secret: str, where: str):
    """Yield the places where `secret` appears outside a secret wrapper."""
    if is_secret(value):
        return
    if isinstance(value, str):
        if secret in value:
            yield where
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _plaintext_leaks(v, secret, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _plaintext_leaks(v, secret, f"{where}[{i}]")


def _everything(capture: runtime.Capture):
    for r in capture.resources:
        yield f"{r.name}.inputs", r.inputs
        yield f"{r.name}.outputs", r.outputs
    yield "stack outputs", capture.stack_outputs
    yield "logs", [message for _, message in capture.logs]
    yield "error", capture.error or ""


@pytest.mark.parametrize("source", ["configured", "generated", "generated per connection"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_psk_never_in_plaintext(run_program, dev, prod, source, stack):
    values = {"dev": dev, "prod": prod}[stack]
    if source == "generated per connection":
        values = values | {"pskScope": "connection"}
    capture = run_program(values, psk=PSK if source == "configured" else None)
    assert capture.error is None, capture.error
    generated = capture.of_type("random:index/randomPassword:RandomPassword")
    secrets = [PSK] if source == "configured" else [unwrap(g.outputs["result"]) for g in generated]
    assert GENERATED in secrets or source == "configured"
    conns = capture.of_type("openstack:vpnaas/siteConnection:SiteConnection")
    assert conns
    for conn in conns:
        # present, so the check below is not vacuous, but only inside a secret wrapper
        assert is_secret(conn.inputs["psk"]) and unwrap(conn.inputs["psk"]) in secrets
        assert is_secret(conn.outputs["psk"])
        assert conn.additional_secret_outputs == ["psk"]
    for pair in capture.of_type("sitevpn:index:VpnConnectionPair"):
        for output in ("psk", "psks", "devicePsks"):
            assert is_secret(pair.outputs[output]), output
    leaks = [
        w
        for secret in secrets
        for where, value in _everything(capture)
        for w in _plaintext_leaks(value, secret, where)
    ]
    assert leaks == []
    # the device configs carry the PSKs (the customer needs them), so the export must be secret
    device_configs = capture.stack_outputs["deviceConfigs"]
    assert is_secret(device_configs)
    for secret in secrets:
        assert any(secret in c for c in unwrap(device_configs).values())
        assert secret not in json.dumps(redact(capture.stack_outputs))
    per_pair = {"configured": 0, "generated": 1, "generated per connection": 2}[source]
    assert len(generated) == per_pair * len(conns) // 2


def test_generated_psk_meets_the_reference_rules(run_program, dev):
    capture = run_program(dev)
    password = capture.named("site-vpn-dc1-pair-psk").inputs
    assert password["length"] >= 32
    assert password["special"] is True
    assert set(password["overrideSpecial"]) <= set("~!@#$%^*()-_+={},./:;")
    for key in ("minUpper", "minLower", "minNumeric", "minSpecial"):
        assert password[key] >= 1


def test_leak_detector_finds_a_plaintext_psk():
    """The detector itself must fail on a leak, or the test above proves nothing."""
    value = {
        "a": ["x", {"b": f"prefix {PSK}"}],
        "c": {runtime.SIG_KEY: runtime.SECRET_SIG, "value": PSK},
    }
    assert list(_plaintext_leaks(value, PSK, "v")) == ["v.a[1].b"]
