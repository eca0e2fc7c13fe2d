"""What the program registers, pinned: URNs, types, parents, providers, inputs, options and
outputs (device configs included) of the dev, prod and a generated stack.

A refactor must leave this file's golden copy unchanged; a deliberate change of what users
deploy regenerates it (``SITE_VPN_UPDATE_GOLDEN=1 pytest tests/unit/test_registrations_stable.py``)
and shows up in review as a diff of tests/unit/golden/registrations.json.
"""

import json
import os

import pytest

from bench.sites import hub_config
from tests.conftest import PSK, FakeOpenStack, stack_config

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "registrations.json")


def _generated() -> dict:
    values = hub_config(4, subnets_per_site=2)
    values["gateway"]["haMode"] = "active-standby"
    for i, site in enumerate(values["sites"]):
        site["customerGateway"]["addresses"].append(f"23.0.{i}.23")
    values["sites"][1]["customerGateway"]["ikeId"] = "dc1.example.net"
    values["sites"][1]["ike"] = {"dhGroup": "group20", "lifetimeSeconds": 28800}
    values["sites"][2]["ipsec"] = {"encryption": "aes-128-gcm-16", "pfs": "group21"}
    values["sites"][2]["dpd"] = {"action": "hold", "intervalSeconds": 10}
    values["sites"][3]["mtu"] = 1400
    values["securityGroups"] = [{"name": "web"}, {"name": "db", "id": "sg-db"}]
    values["dpd"] = {"timeoutSeconds": 90}
    return values


CASES = {
    "dev": lambda: (stack_config("dev"), None),
    "prod": lambda: (stack_config("prod"), PSK),
    "generated": lambda: (_generated(), None),
}


def _snapshot(capture) -> dict:
    return {
        "error": capture.error,
        "resources": [
            {
                "urn": r.urn,
                "custom": r.custom,
                "parent": r.parent,
                "provider": r.provider,
                "inputs": r.inputs,
                "outputs": r.outputs if not r.custom else None,
                "dependencies": sorted(r.dependencies),
                "propertyDependencies": {k: sorted(v) for k, v in r.property_dependencies.items()},
                "additionalSecretOutputs": r.additional_secret_outputs,
                "protect": r.protect,
                "deleteBeforeReplace": bool(r.delete_before_replace),
                "ignoreChanges": r.ignore_changes,
            }
            # registration order follows output resolution, which is not deterministic
            for r in sorted(capture.resources, key=lambda r: r.urn)
        ],
        "stackOutputs": capture.stack_outputs,
    }


@pytest.fixture
def golden() -> dict:
    if not os.path.exists(GOLDEN):
        return {}
    with open(GOLDEN) as f:
        return json.load(f)


@pytest.mark.parametrize("stack", list(CASES))
def test_registrations_are_unchanged(run_program, golden, stack):
    values, psk = CASES[stack]()
    capture = run_program(values, stack=stack, psk=psk, backend=FakeOpenStack())
    got = json.loads(json.dumps(_snapshot(capture), sort_keys=True, default=str))
    assert got["error"] is None
    if os.environ.get("SITE_VPN_UPDATE_GOLDEN"):
        data = golden | {stack: got}
        with open(GOLDEN, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        return
    assert stack in golden, f"no golden copy for {stack}: regenerate it"
    assert got == golden[stack]
