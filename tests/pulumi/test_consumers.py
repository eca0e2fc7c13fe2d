"""The component provider consumed from other languages through the real CLI, as the README and
the examples say: `pulumi package add <checkout>/components` generates the SDK from the schema
the Python provider infers, then `pulumi up` deploys into the suite's cloud as the member and
`pulumi destroy` removes it all."""

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT
from tests.engine import Engine, pinned, run_cli
from tests.neutron.test_deploy import vpn_objects_left

COMPONENTS = ROOT / "components"


def _consumer(engine: Engine, example: str, stack_name: str):
    folder = engine.root / example
    shutil.copytree(ROOT / "examples" / example, folder)
    stack = engine.stack(stack_name, workdir=folder)
    run_cli(["package", "add", str(COMPONENTS)], cwd=folder, env=engine.env, timeout=900)
    return stack


def processes_in(folder) -> list[str]:
    """Command lines of the processes whose working directory is inside ``folder``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # ended meanwhile, or not ours to read
    return found


def _deploys_and_destroys(stack, session, members: int, day2=None) -> None:
    try:
        stack.up(timeout=900)
        outputs = stack.outputs(show_secrets=True)
        assert len(outputs["gatewayIps"]) == members
        device = next(iter(outputs["deviceConfigs"].values()))
        assert "connections {" in device and outputs["gatewayIps"][0] in device
        services = session.list("vpn/vpnservices")
        assert sorted(s["external_v4_ip"] for s in services) == sorted(outputs["gatewayIps"])
        assert len(session.list("vpn/ipsec-site-connections")) == 2
        if day2 is not None:
            day2(stack, session)
    finally:
        stack.destroy(timeout=900)
    assert vpn_objects_left(session) == {}
    # `pulumi package add` leaves its language host running; each CLI call ends its session
    assert processes_in(stack.workdir) == []


def _connection_2_waits_for_connection_1(stack, session) -> None:
    """The day-2 gate runs in the component provider too: an IKE lifetime change replaces
    connection 1, and with no customer device to bring it up, `pulumi up` stops at the
    (shortened) rollout timeout with connection 2 as it was."""
    before = {c["name"]: c for c in session.list("vpn/ipsec-site-connections")}
    program = stack.workdir / "Pulumi.yaml"
    day2 = (
        "      ike:\n        lifetimeSeconds: 28800\n      rollout:\n        timeoutSeconds: 10\n"
    )
    program.write_text(program.read_text().replace("      dpd:\n", day2 + "      dpd:\n", 1))
    result = stack.up(check=False, timeout=600)
    assert result.returncode != 0, result.output
    assert "stack 'yaml': site 'branch': connection 1" in result.output, result.output
    assert "connection 2 was left as it was" in result.output
    after = {c["name"]: c for c in session.list("vpn/ipsec-site-connections")}
    first, second = "vpn-branch-pair-conn1", "vpn-branch-pair-conn2"
    assert after[first]["id"] != before[first]["id"]  # replaced (a new IKE policy)
    assert (
        session.show("vpn/ikepolicies", after[first]["ikepolicy_id"])["lifetime"]["value"] == 28800
    )
    kept = ("id", "ikepolicy_id", "ipsecpolicy_id", "peer_address")
    assert {k: after[second][k] for k in kept} == {k: before[second][k] for k in kept}


def test_yaml_program_adds_the_package_and_deploys(cloud, engine_as):
    engine = engine_as("member")
    stack = _consumer(engine, "yaml-consumer", "yaml")
    source = (stack.workdir / "Pulumi.yaml").read_text()
    assert f"source: {COMPONENTS}" in source  # package add recorded the local path
    stack.cli("config", "set", "externalNetworkId", cloud.external_network_id)
    _deploys_and_destroys(stack, cloud.member, members=2, day2=_connection_2_waits_for_connection_1)


def test_go_program_adds_the_package_and_deploys(cloud, engine_as, existing_vpc):
    engine = engine_as("member")
    # Go modules from the module proxy, in the same cache as the toolchain's build.
    cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    engine.env |= {
        "GOMODCACHE": os.path.join(cache, "site-vpn", "go-mod"),
        "GOFLAGS": "-buildvcs=false",
    }
    stack = _consumer(engine, "go-consumer", "go")
    # package add records the SDK's replace line; the program keeps the engine's SDK release.
    go = {"cwd": stack.workdir, "env": engine.env, "capture_output": True, "text": True}
    for args in (
        ["get", f"github.com/pulumi/pulumi/sdk/v3@v{pinned()['PULUMI_VERSION']}"],
        ["mod", "tidy"],
    ):
        done = subprocess.run(["go", *args], timeout=600, **go)
        assert done.returncode == 0, done.stderr
    assert "=> ./sdks/sitevpn" in (stack.workdir / "go.mod").read_text()
    for key, value in {
        "externalNetworkId": cloud.external_network_id,
        "routerId": existing_vpc["router"]["id"],
        "networkId": existing_vpc["network"]["id"],
        "subnetId": existing_vpc["subnets"]["app"]["id"],
    }.items():
        stack.cli("config", "set", key, value)
    _deploys_and_destroys(stack, cloud.member, members=2)
