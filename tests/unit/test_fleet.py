"""Fleets without a cloud: a site stack reads its gateway's design from the gateway stack's file
(the same models, errors naming that file), plans offline like the single stack, and the fleet
runner's pure parts (the deployment check, progress, reasons)."""

import io
import shutil
from pathlib import Path

import pytest
import yaml
from netaddr import IPNetwork

from sitevpn.config import ConfigError, validate_config
from sitevpn.fleet import checks
from sitevpn.fleet import stacks as fleet_stacks
from sitevpn.fleet.runner import Progress, StackRun, _counts, _reason
from sitevpn.plan import make_plan
from tests.conftest import ROOT, stack_config


def project(folder: Path, stacks: dict[str, dict]) -> Path:
    """A project folder with the program and a stack file per entry (site-vpn values)."""
    (folder / "stacks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", folder / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", folder / "__main__.py")
    for name, values in stacks.items():
        config = {f"site-vpn:{k}": v for k, v in values.items()}
        text = yaml.safe_dump({"config": config}, sort_keys=False)
        (folder / "stacks" / f"Pulumi.{name}.yaml").write_text(text)
    return folder


def split(stack: str) -> tuple[dict, dict]:
    """A stack's values as a gateway stack (no sites) and a site stack of it."""
    values = stack_config(stack)
    gateway = {k: v for k, v in values.items() if k != "sites"} | {"sites": []}
    return gateway, {"gatewayStack": "gw", "sites": values["sites"]}


def test_site_stack_takes_the_gateway_from_its_gateway_stack_file(tmp_path):
    gateway, sites = split("prod")
    folder = project(tmp_path, {"gw": gateway, "east": sites})
    cfg = validate_config(sites, folder)
    whole = validate_config(stack_config("prod"), folder)
    assert cfg.gateway == whole.gateway and cfg.vpc == whole.vpc
    assert cfg.security_groups == whole.security_groups and cfg.sites == whole.sites
    assert cfg.gateway_stack == "gw"


def _plan_resources(folder: Path, stack: str) -> dict[str, tuple[str, dict]]:
    plan = make_plan(folder, stack)
    return {r.name: (r.type, r.inputs) for r in plan.capture.resources}


def test_only_a_stack_with_a_gateway_exports_the_gateways_outputs(tmp_path):
    # A site stack exports no gatewayHandles (no site stack of a site stack) and nothing the
    # removal guard would then protect in it (gatewayMembers, vpcSubnets).
    gateway, sites = split("dev")
    folder = project(tmp_path, {"gw": gateway, "east": sites})
    gateway_only = {"gatewayHandles", "gatewayMembers", "vpcSubnets"}
    gw = set(make_plan(folder, "gw").capture.stack_outputs)
    east = set(make_plan(folder, "east").capture.stack_outputs)
    assert gateway_only <= gw and not gateway_only & east
    assert {"sites", "deviceConfigs", "pskInUse", "gatewayIps"} <= east


def test_a_split_stack_registers_what_the_single_stack_does(tmp_path):
    # The gateway stack holds the gateway's resources, the site stack the sites': together
    # what the single stack registers, with the same inputs except the ids the site stack reads.
    gateway, sites = split("dev")
    folder = project(tmp_path, {"gw": gateway, "east": sites, "dev": stack_config("dev")})
    single = _plan_resources(folder, "dev")
    gw, east = _plan_resources(folder, "gw"), _plan_resources(folder, "east")
    providers = {n for n, (t, _) in single.items() if t.startswith("pulumi:providers:")}
    assert set(gw) - providers - {"site-vpn"} == {
        n for n in single if "dc1" not in n and n not in providers and n != "site-vpn"
    }
    assert {n for n in east if "dc1" in n} == {n for n in single if "dc1" in n}
    assert "site-vpn-gateway" not in east and not any("router" in n for n in east)
    for name in (n for n in single if "dc1" in n):
        assert east[name][0] == single[name][0]
        ids = {"vpnserviceId", "localEpGroupId", "peerEpGroupId", "ikepolicyId", "ipsecpolicyId"}
        theirs = {k: v for k, v in east[name][1].items() if k not in ids}
        assert theirs == {k: v for k, v in single[name][1].items() if k not in ids}, name


@pytest.mark.parametrize(
    ("site_values", "named"),
    [
        (
            {"gateway": {"haMode": "active-active"}},
            "site-vpn:gateway: belongs to the gateway stack 'gw'",
        ),
        ({"protect": True}, "site-vpn:protect: belongs to the gateway stack 'gw'"),
        (
            {"gatewayStack": "nope"},
            "site-vpn:gatewayStack = 'nope': unknown stack 'nope': no Pulumi.nope.yaml",
        ),
        (
            {"gatewayStack": "east"},
            "site-vpn:gatewayStack = 'east': that stack is a site stack itself (of 'gw')",
        ),
        ({"gatewayStack": "a/b"}, "site-vpn:gatewayStack = 'a/b': 'a/b' is not a stack name"),
        (
            {"removals": {"members": ["c"]}},
            "site-vpn:removals.members = ['c']: the gateway's members belong to the gateway "
            "stack 'gw'",
        ),
    ],
)
def test_site_stack_refusals_name_the_key(tmp_path, site_values, named):
    gateway, sites = split("prod")
    folder = project(tmp_path, {"gw": gateway, "east": sites})
    with pytest.raises(ConfigError) as raised:
        validate_config(sites | site_values, folder)
    assert named in str(raised.value)


def test_a_bad_gateway_file_is_named_in_the_site_stack(tmp_path):
    gateway, sites = split("prod")
    gateway["gateway"] = dict(gateway["gateway"], haMode="both")
    folder = project(tmp_path, {"gw": gateway, "east": sites})
    with pytest.raises(ConfigError) as raised:
        validate_config(sites, folder)
    assert "stack 'gw' (stacks/Pulumi.gw.yaml): site-vpn:gateway.haMode = 'both'" in str(
        raised.value
    )


def test_site_stacks_are_found_by_the_gateway_they_name(tmp_path):
    gateway, sites = split("prod")
    folder = project(
        tmp_path,
        {"gw": gateway, "east": sites, "west": sites, "other": sites | {"gatewayStack": "x"}},
    )
    (folder / "stacks" / "Pulumi.broken.yaml").write_text("config: [")
    assert fleet_stacks.site_stacks(folder, "gw", "site-vpn") == ["east", "west"]
    assert fleet_stacks.site_stacks(folder, "x", "site-vpn") == ["other"]


HANDLES = {
    "haMode": "active-active",
    "localCidrs": ["192.168.0.0/16"],
    "members": [
        {"name": m, "routerId": "r", "serviceId": "s", "localEndpointGroupId": "l", "publicIp": "p"}
        for m in ("a", "b")
    ],
}
DECLARED = {"haMode": "active-active", "members": ["a", "b"], "localCidrs": ["192.168.0.0/16"]}


@pytest.mark.parametrize(
    ("deployed", "problem"),
    [
        (HANDLES, None),
        (None, "that stack has no deployed gateway (no gatewayHandles output)"),
        ("text", "that stack has no deployed gateway"),
        (HANDLES | {"haMode": "active-standby"}, "its deployment has haMode 'active-standby'"),
        (HANDLES | {"members": HANDLES["members"][:1]}, "its deployment has members ['a']"),
        (HANDLES | {"localCidrs": []}, "its deployment has localCidrs []"),
        (
            HANDLES | {"members": [HANDLES["members"][0], {"name": "b", "routerId": "r"}]},
            "no serviceId, localEndpointGroupId, publicIp for member 'b'",
        ),
    ],
)
def test_a_gateway_deployment_is_checked_against_its_file(deployed, problem):
    got = fleet_stacks.mismatch(DECLARED, deployed)
    assert got == problem if problem is None else problem in got


def test_member_ids_come_from_the_right_member():
    handles = {"members": [{"name": "a", "serviceId": "sa"}, {"name": "b", "serviceId": "sb"}]}
    assert fleet_stacks.member_id(handles, "b", "serviceId") == "sb"
    assert fleet_stacks.member_id(handles, "c", "serviceId") is None
    assert fleet_stacks.member_id(None, "a", "serviceId") is None


def test_progress_lines_and_final_table():
    out = io.StringIO()
    runs = [StackRun("gw", "gateway"), StackRun("east", "sites")]
    progress = Progress(runs, out, live=False)
    progress.update(runs[0], state="running", started=1.0)
    progress.update(runs[0], steps=3)  # no new line: the state did not change
    progress.update(runs[0], state="done", seconds=12.0, changes={"create": 16})
    progress.update(runs[1], state="failed", reason="config bad", seconds=2.0)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["gw", "gw", "east"]
    assert "done | 3 steps, 12 s | create 16" in lines[1]
    table = progress.table().splitlines()
    assert table[0].split() == ["stack", "role", "result", "changes", "time"]
    assert table[2].split()[:3] == ["east", "sites", "failed"] and table[2].endswith("config bad")


def test_the_reason_of_a_failed_run_is_the_engines_error_lines():
    # as the CLI reports a program's config error: the summary line, then the whole message
    text = (
        "code: 255\n stdout: Updating (east):\n    error: stack 'east': invalid site-vpn "
        "configuration (1 problem):\n    error: an unhandled error occurred: program exited "
        "with non-zero exit code: 1\n  pulumi:pulumi:Stack (site-vpn-east):\n"
        "    error: stack 'east': invalid site-vpn configuration (1 problem):\n"
        "      site-vpn:sites[0].subnets[0]: host bits\n"
        "    more\n stderr: error: update failed\n"
    )
    assert _reason(RuntimeError(text)) == (
        "stack 'east': invalid site-vpn configuration (1 problem): "
        "site-vpn:sites[0].subnets[0]: host bits"
    )
    assert _reason(RuntimeError("something\nlast line")) == "last line"


def test_change_counts_leave_out_what_stays():
    assert _counts({"same": 4, "create": 2, "delete": 0}) == {"create": 2}
    assert _counts(None) == {}


def test_what_two_stacks_claim_is_named_in_both():
    claimed = {
        "gw": [],
        "east": [("dc1", ["169.254.0.0/30", "169.254.0.4/30"])],
        "west": [("dc1", ["169.254.9.0/30"]), ("dc2", ["169.254.0.4/30", "169.254.9.4/30"])],
        "north": [("dc3", ["169.254.8.0/30"])],
    }
    assert checks.collisions(claimed) == {
        "east": [
            "site key dc1 is also in stack west",
            "tunnel /30 169.254.0.4/30 is also in stack west",
        ],
        "west": [
            "site key dc1 is also in stack east",
            "tunnel /30 169.254.0.4/30 is also in stack east",
        ],
    }


def test_claims_read_every_valid_stack_of_the_project(tmp_path):
    gateway, sites = split("prod")
    folder = project(tmp_path, {"gw": gateway, "east": sites, "bad": {"gatewayStack": "nope"}})
    claimed = checks.claims(folder, ["gw", "east", "bad"])
    assert claimed == {
        "gw": [],
        "east": [
            (s["name"], [str(IPNetwork(t["customer"]).cidr) for t in s["tunnels"]])
            for s in sites["sites"]
        ],
    }


def test_fleet_command_refuses_a_gateway_stack_without_a_file(tmp_path, capsys):
    from sitevpn import cli

    gateway, sites = split("prod")
    folder = project(tmp_path, {"gw": gateway, "east": sites})
    assert cli.main(["fleet", "up", "nope", "--project", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "error: fleet 'nope': unknown stack 'nope': no Pulumi.nope.yaml" in err
    assert "(stacks: east, gw)" in err and "Traceback" not in err
    assert cli.main(["fleet", "up", "gw", "--parallel", "0", "--project", str(folder)]) == 2
    assert "--parallel must be 1 to 64, got 0" in capsys.readouterr().err
