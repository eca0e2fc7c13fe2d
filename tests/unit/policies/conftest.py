"""Policy tests: small real pulumi-openstack programs under the SDK runtime, judged by the pack
in process (the SDK's own servicer, fed the engine's requests)."""

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_openstack as openstack
import pytest

from offline_engine import analyzer, runtime
from tests.conftest import ROOT, FakeOpenStack

PACK = ROOT / "policies"

STRONG_IKE = {
    "ike_version": "v2",
    "encryption_algorithm": "aes-256",
    "auth_algorithm": "sha256",
    "pfs": "group15",
    "phase1_negotiation_mode": "main",
    "lifetimes": [{"units": "seconds", "value": 86400}],
}
STRONG_IPSEC = {
    "encryption_algorithm": "aes-256",
    "auth_algorithm": "sha256",
    "pfs": "group15",
    "transform_protocol": "esp",
    "encapsulation_mode": "tunnel",
    "lifetimes": [{"units": "seconds", "value": 3600}],
}
GOOD_PSK = "Str0ng-Pre-Shared+Key"


def unknown_in_preview(value: Any, name: str = "later") -> pulumi.Output:
    """An output that is unknown during preview and ``value`` afterwards."""
    network = openstack.networking.Network(name)
    return network.id.apply(lambda _: value)


def connection(name: str = "conn", **overrides: Any) -> openstack.vpnaas.SiteConnection:
    """A compliant site connection with its own endpoint groups and policies."""
    local = openstack.vpnaas.EndpointGroup(f"{name}-local", type="subnet", endpoints=["subnet-1"])
    peer = openstack.vpnaas.EndpointGroup(f"{name}-peer", type="cidr", endpoints=["172.16.0.0/16"])
    ike = openstack.vpnaas.IkePolicy(f"{name}-ike", **STRONG_IKE)
    ipsec = openstack.vpnaas.IpSecPolicy(f"{name}-ipsec", **STRONG_IPSEC)
    args = {
        "vpnservice_id": "service-1",
        "ikepolicy_id": ike.id,
        "ipsecpolicy_id": ipsec.id,
        "local_ep_group_id": local.id,
        "peer_ep_group_id": peer.id,
        "peer_address": "22.10.10.22",
        "peer_id": "22.10.10.22",
        "psk": pulumi.Output.secret(GOOD_PSK),
        "mtu": 1500,
        "admin_state_up": True,
        "dpds": [{"action": "restart", "interval": 30, "timeout": 120}],
    }
    args.update(overrides)
    return openstack.vpnaas.SiteConnection(
        name, **args, opts=pulumi.ResourceOptions(additional_secret_outputs=["psk"])
    )


@pytest.fixture
def evaluate() -> Callable[..., analyzer.Report]:
    """Run a program and judge it with the pack in process."""

    def run(
        program: Callable[[], Any] | runtime.Capture,
        *,
        preview: bool = False,
        config: dict | None = None,
    ) -> analyzer.Report:
        capture = (
            program
            if isinstance(program, runtime.Capture)
            else runtime.run(
                program, project="raw", stack="test", preview=preview, backend=FakeOpenStack()
            )
        )
        assert capture.error is None, capture.error
        with analyzer.open_pack(PACK) as pack:
            pack.configure(config)
            return pack.analyze(capture)

    return run


def violations(report: analyzer.Report, policy: str) -> list[analyzer.Diagnostic]:
    """The policy's real violations (not 'could not run')."""
    return [d for d in report.diagnostics if d.policy == policy and "can't run" not in d.message]


def not_run(report: analyzer.Report, policy: str) -> list[analyzer.Diagnostic]:
    """The policy's 'could not run during preview' notices."""
    return [d for d in report.diagnostics if d.policy == policy and "can't run" in d.message]
