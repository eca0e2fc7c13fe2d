"""The policy pack as the engine runs it: a plugin process driven over the Analyzer gRPC protocol."""

import pulumi_openstack as openstack
import pytest
from google.protobuf import empty_pb2, struct_pb2

from offline_engine import analyzer, runtime
from tests.conftest import ROOT, FakeOpenStack
from tests.unit.policies.test_pack_meta import EXPECTED

pytestmark = pytest.mark.protocol
PACK = ROOT / "policies"
WEAK_PSK = "password"


def raw_program():
    """A plain pulumi-openstack program (no components) that leans on provider defaults."""
    ike = openstack.vpnaas.IkePolicy("ike")
    ipsec = openstack.vpnaas.IpSecPolicy("ipsec")
    router = openstack.networking.Router("router", external_network_id="ext")
    service = openstack.vpnaas.Service("svc", router_id=router.id)
    openstack.vpnaas.SiteConnection(
        "conn",
        vpnservice_id=service.id,
        ikepolicy_id=ike.id,
        ipsecpolicy_id=ipsec.id,
        peer_address="10.1.2.3",
        peer_id="10.1.2.3",
        peer_cidrs=["100.64.0.0/16"],
        psk=WEAK_PSK,
    )


def _key(report):
    return sorted((d.policy, d.enforcement_level, d.urn, d.message) for d in report.diagnostics)


@pytest.fixture(scope="module")
def grpc_pack():
    with analyzer.open_pack(PACK, protocol="grpc", project="site-vpn", stack="test") as pack:
        yield pack


def test_analyzer_info_over_grpc(grpc_pack):
    info = grpc_pack.transport.call("GetAnalyzerInfo", empty_pb2.Empty())
    assert info.name == "site-vpn" and info.supportsConfig
    by_name = {p.name: p for p in grpc_pack.policies}
    assert set(by_name) == set(EXPECTED)
    for name, kind in EXPECTED.items():
        assert by_name[name].kind == kind
        assert by_name[name].severity and by_name[name].remediation_steps
    assert by_name["vpn-site-connection-enforce-admin-state-up"].enforcement_level == "advisory"
    assert by_name["vpn-subnets-disallow-overlap"].enforcement_level == "mandatory"


def test_raw_program_with_provider_defaults_is_rejected(grpc_pack):
    capture = runtime.run(
        raw_program, project="raw", stack="test", preview=False, backend=FakeOpenStack()
    )
    assert capture.error is None
    grpc_pack.configure()
    report = grpc_pack.analyze(capture)
    failed = {d.policy for d in report.mandatory}
    assert failed >= {
        "vpn-ike-policy-enforce-ikev2",
        "vpn-crypto-policy-disallow-weak-algorithms",
        "vpn-crypto-policy-enforce-strong-dh-group",
        "vpn-site-connection-enforce-psk-strength",
        "vpn-site-connection-enforce-endpoint-groups",
        "vpn-site-connection-enforce-public-peer-address",
        "vpn-peer-subnets-disallow-reserved-ranges",
    }
    messages = "\n".join(d.message for d in report.diagnostics)
    assert "ike (IkePolicy).ikeVersion = 'v1' (provider default" in messages
    assert "conn (SiteConnection).peerAddress = '10.1.2.3'" in messages
    assert WEAK_PSK not in messages.replace("pre-shared", "")
    for d in report.mandatory:
        assert d.urn.startswith("urn:pulumi:test::raw::")


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [True, False])
def test_example_stacks_are_clean_over_grpc(grpc_pack, run_program, dev, prod, stack, preview):
    capture = run_program({"dev": dev, "prod": prod}[stack], preview=preview)
    grpc_pack.configure()
    report = grpc_pack.analyze(capture)
    assert report.mandatory == []
    assert all("can't run" in d.message for d in report.advisory)


def test_in_process_and_grpc_agree(grpc_pack, run_program, dev):
    dev["sites"][0]["subnets"] = ["172.16.0.0/16", "192.168.7.0/24", "100.64.1.0/24"]
    dev["sites"][0]["tunnels"][1] = {"customer": "169.254.195.2/30"}
    dev["ike"] = {"auth": "sha1", "dhGroup": "group5", "version": "v1"}
    config = {"vpn-site-connection-enforce-mtu": {"minMtu": 9000}, "all": "mandatory"}
    for capture in (
        run_program(dev),
        run_program(dev, preview=True),
        runtime.run(raw_program, project="raw", stack="test", preview=True),
    ):
        assert capture.error is None
        grpc_pack.configure(config)
        over_grpc = grpc_pack.analyze(capture)
        with analyzer.open_pack(PACK) as local:
            local.configure(config)
            in_process = local.analyze(capture)
        assert _key(over_grpc) == _key(in_process)
        assert len(over_grpc.mandatory) >= 4


def test_configure_without_enforcement_level_downgrades_to_advisory(grpc_pack):
    """The engine fact the session guards against: properties without a level read as advisory."""
    capture = runtime.run(raw_program, project="raw", stack="test", preview=False)
    request = analyzer.analyzer_pb2.ConfigureAnalyzerRequest()
    props = struct_pb2.Struct()
    props.update({"allowIkeV1": False})
    request.policyConfig["vpn-ike-policy-enforce-ikev2"].CopyFrom(
        analyzer.analyzer_pb2.PolicyConfig(properties=props)
    )
    grpc_pack.transport.call("Configure", request)
    grpc_pack.config = {"configured": ("by hand", {})}  # keep analyze() from reconfiguring
    report = grpc_pack.analyze(capture)
    levels = {
        d.enforcement_level
        for d in report.diagnostics
        if d.policy == "vpn-ike-policy-enforce-ikev2"
    }
    assert levels == {"advisory"}
    grpc_pack.configure()  # the session's own Configure always sends the level
    report = grpc_pack.analyze(capture)
    levels = {
        d.enforcement_level
        for d in report.diagnostics
        if d.policy == "vpn-ike-policy-enforce-ikev2"
    }
    assert levels == {"mandatory"}


def test_psk_never_leaves_the_pack(run_program, dev):
    secret = "weakpsk"  # weak on purpose, so the PSK policy has something to say about it
    capture = run_program(dev, psk=secret)
    with analyzer.open_pack(PACK, protocol="grpc", project="site-vpn", stack="dev") as pack:
        report = pack.analyze(capture)
        stderr = pack.transport.close()
    assert any(d.policy == "vpn-site-connection-enforce-psk-strength" for d in report.mandatory)
    for d in report.diagnostics:
        assert secret not in d.message
    assert secret not in stderr and all(secret not in line for line in pack.transport.logs)


def test_unknown_values_over_grpc_say_the_policy_could_not_run(grpc_pack):
    def program():
        later = openstack.networking.Network("later")
        openstack.vpnaas.IkePolicy(
            "ike",
            ike_version=later.id.apply(lambda _: "v1"),
            auth_algorithm="sha256",
            encryption_algorithm="aes-256",
            pfs="group15",
            lifetimes=[{"units": "seconds", "value": 3600}],
        )

    capture = runtime.run(program, project="raw", stack="test", preview=True)
    grpc_pack.configure()
    report = grpc_pack.analyze(capture)
    ikev2 = [d for d in report.diagnostics if d.policy == "vpn-ike-policy-enforce-ikev2"]
    assert len(ikev2) == 1 and ikev2[0].enforcement_level == "advisory"
    assert "can't run policy 'vpn-ike-policy-enforce-ikev2'" in ikev2[0].message


def test_a_broken_pack_fails_to_start_with_one_line(tmp_path):
    (tmp_path / "__main__.py").write_text("raise SystemExit('boom: no policies here')\n")
    with pytest.raises(analyzer.PackError, match=r"failed to start|printed no port"):
        with analyzer.open_pack(tmp_path, protocol="grpc"):
            pass
