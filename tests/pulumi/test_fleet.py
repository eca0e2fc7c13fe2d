"""A fleet through the real engine: a gateway stack and site stacks of one project, deployed,
changed and destroyed by `site-vpn fleet` (Automation API -> the real CLI) against the suite's
cloud; a site stack changed alone leaves the others untouched."""

import json
from pathlib import Path

import pytest
import yaml

from bench.sites import hub_config
from tests.engine import Stack, program_folder, run_cli, site_vpn_fleet, stack_file

pytestmark = pytest.mark.fleet


def write(folder: Path, stack: str, values: dict) -> None:
    """The stack's site-vpn config set to ``values``, the rest of its file (the secrets
    provider's salt, once the stack exists) kept."""
    path = folder / "stacks" / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) if path.exists() else {}
    document["config"] = yaml.safe_load(stack_file(values))["config"]
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def ops(env: dict, folder: Path, stack: str, log: Path, *args: str) -> list[tuple[str, str]]:
    """``pulumi <args>`` with the engine's event log: (op, resource name) of every step taken."""
    run_cli(
        [*args, "--stack", stack, "--event-log", str(log)],
        cwd=folder,
        env=env | {"PULUMI_DEBUG_COMMANDS": "true"},
        timeout=900,
    )
    out = []
    for line in log.read_text().splitlines():
        meta = json.loads(line).get("resourcePreEvent", {}).get("metadata")
        if meta and meta["op"] not in ("same", "refresh", "read"):
            out.append((meta["op"], meta["urn"].rsplit("::", 1)[-1]))
    return out


def test_fleet_up_change_one_site_stack_destroy(engine_as, cloud, tmp_path):
    member = engine_as("member")
    env = dict(member.env)
    folder = program_folder(member.root / "programs" / "fleet")
    design = hub_config(7, subnets_per_site=2)
    sites = design["sites"]
    gateway = {k: v for k, v in design.items() if k != "sites"} | {"sites": []}
    write(folder, "gw", gateway)
    write(folder, "east", {"gatewayStack": "gw", "sites": sites[:3]})
    write(folder, "west", {"gatewayStack": "gw", "sites": sites[3:5]})
    write(
        folder,
        "broken",
        {"gatewayStack": "gw", "sites": [sites[5] | {"subnets": ["10.99.0.1/16"]}]},
    )

    done = site_vpn_fleet(env, folder, "up", "gw", "--parallel", "2")
    out = done.stdout + done.stderr
    # the broken stack fails, named with its reason; the others complete
    assert done.returncode == 1, out
    assert "broken (failed: " in done.stderr and "host bits" in done.stderr, out
    assert "east (" not in done.stderr and "west (" not in done.stderr, out
    assert "Traceback" not in out
    table = {line.split()[0]: line.split()[2] for line in out.splitlines() if line[:1].isalpha()}
    assert table["gw"] == table["east"] == table["west"] == "done", out

    handles = Stack(folder, "gw", env).outputs()["gatewayHandles"]
    services = {m["serviceId"] for m in handles["members"]}

    def connections() -> dict[str, dict]:
        found = cloud.member.list("vpn/ipsec-site-connections")
        return {c["name"]: c for c in found if c["vpnservice_id"] in services}

    assert set(connections()) == {f"site-vpn-dc{i}-pair-conn{n}" for i in range(5) for n in (1, 2)}
    west_before = Stack(folder, "west", env).export()["deployment"]["resources"]

    # one site stack changed alone: only its new site's resources are created, the other
    # stacks have nothing to do and their state is untouched
    write(folder, "east", {"gatewayStack": "gw", "sites": [*sites[:3], sites[6]]})
    run_cli(
        ["preview", "--non-interactive", "--expect-no-changes", "--stack", "west"],
        cwd=folder,
        env=env,
    )
    steps = ops(env, folder, "east", tmp_path / "east.jsonl", "up", "--yes", "--skip-preview")
    assert steps and all(op == "create" and "dc6" in name for op, name in steps), steps
    assert Stack(folder, "west", env).export()["deployment"]["resources"] == west_before
    assert "site-vpn-dc6-pair-conn2" in connections()

    # two stacks claiming one site key: `site-vpn fleet` runs neither, and the rest
    write(folder, "twin", {"gatewayStack": "gw", "sites": [sites[6]]})
    done = site_vpn_fleet(env, folder, "preview", "gw")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "twin (skipped: not run: site key dc6 is also in stack east" in done.stderr
    assert "east (skipped: not run: site key dc6 is also in stack twin" in done.stderr
    assert "west (" not in done.stderr and "gw (" not in done.stderr
    (folder / "stacks" / "Pulumi.twin.yaml").unlink()

    # a gateway deployed otherwise than its file says stops a site stack before any step
    moved = gateway | {
        "vpc": {
            **gateway["vpc"],
            "subnets": [*gateway["vpc"]["subnets"], {"name": "db", "cidr": "192.168.3.0/24"}],
        }
    }
    write(folder, "gw", moved)
    refused = run_cli(
        ["preview", "--non-interactive", "--stack", "west"], cwd=folder, env=env, check=False
    )
    assert refused.returncode != 0
    assert "site-vpn:gatewayStack = 'gw': its deployment has localCidrs" in refused.output
    write(folder, "gw", gateway)

    (folder / "stacks" / "Pulumi.broken.yaml").unlink()  # never deployed: out of the fleet
    done = site_vpn_fleet(env, folder, "destroy", "gw", "--parallel", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not connections()
    assert not services & {s["id"] for s in cloud.member.list("vpn/vpnservices")}
