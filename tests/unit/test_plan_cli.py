"""site-vpn plan: the README's first command, end to end (exit codes, formats, secrets)."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from sitevpn import cli
from tests.conftest import ROOT

WEAK = "weak-and-short"


@pytest.fixture
def project(tmp_path):
    """A project folder with the real program and pack, and room for extra stack files."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in ("components", "policies"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    return tmp_path


def write_stack(project, name, config=None, text=None):
    path = project / "stacks" / f"Pulumi.{name}.yaml"
    path.write_text(text if text is not None else yaml.safe_dump({"config": config}))
    return path


def dev_config():
    return yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]


def plan(capsys, *args):
    code = cli.main(["plan", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_example_stacks_plan_clean(capsys, stack):
    code, out, err = plan(capsys, stack, "--project", str(ROOT))
    assert code == 0, err
    assert f"Previewing site-vpn (stack {stack}) offline" in out
    assert "openstack:vpnaas/siteConnection:SiteConnection  site-vpn-dc1-pair-conn1" in out
    # a generated PSK is unknown during a preview, as the real engine shows it (pulumi 3.259)
    assert "psk=[unknown]" in out
    assert re.search(r"Plan: \d+ to create; policies: 0 mandatory, \d+ advisory: PASSED", out)
    assert "\033[" not in out  # no colour when not a terminal


def test_overlap_and_weak_crypto_fail_with_exit_1(capsys, project):
    config = dev_config()
    config["site-vpn:sites"][0]["subnets"] = ["172.16.0.0/16", "192.168.8.0/24"]
    config["site-vpn:ike"] = {"auth": "sha1", "dhGroup": "group5"}
    write_stack(project, "bad", config)
    code, out, _ = plan(capsys, "bad", "--project", str(project))
    assert code == 1
    assert "mandatory (3)" in out
    assert "vpn-subnets-disallow-overlap [critical]  site-vpn-dc1-cgw-peer" in out
    assert "'192.168.8.0/24': overlaps local subnet 192.168.0.0/16" in out
    assert "site-vpn-dc1-pair-ike (IkePolicy).authAlgorithm = 'sha1': is a weak algorithm" in out
    assert "site-vpn-dc1-pair-ike (IkePolicy).pfs = 'group5'" in out
    assert out.rstrip().endswith("FAILED")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "broken",
            "config:\n  site-vpn:vpc: [unclosed\n",
            r"stack 'broken' \(stacks/Pulumi\.broken\.yaml\): line \d+ column \d+",
        ),
        ("typo", None, r"site-vpn:gatway: unknown key \(value not shown\)"),
    ],
)
def test_bad_stack_files_exit_2_with_one_clear_line(capsys, project, name, text, expected):
    if text is None:
        config = dev_config()
        config["site-vpn:gatway"] = config["site-vpn:gateway"]
        write_stack(project, name, config)
    else:
        write_stack(project, name, text=text)
    code, out, err = plan(capsys, name, "--project", str(project))
    assert code == 2 and out == ""
    assert re.search(expected, err)
    assert "Traceback" not in err
    problem_lines = [line for line in err.splitlines() if "site-vpn:" in line or "yaml" in line]
    assert len(problem_lines) == 1


def test_unknown_stack_exits_2(capsys):
    code, out, err = plan(capsys, "staging", "--project", str(ROOT))
    assert code == 2 and out == ""
    assert err.startswith("error: unknown stack 'staging': no Pulumi.staging.yaml")
    assert "(stacks: dev, prod)" in err and len(err.strip().splitlines()) == 1


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["plan"])
    assert exc.value.code == 2


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_carry_every_violation(capsys, project, fmt):
    config = dev_config()
    config["site-vpn:sites"][0]["subnets"] = ["192.168.8.0/24", "100.64.0.0/24"]
    config["site-vpn:ipsec"] = {"transform": "ah"}
    write_stack(project, "bad", config)
    code, out, _ = plan(capsys, "bad", "--project", str(project), "--format", fmt)
    assert code == 1
    document = json.loads(out)
    _, text, _ = plan(capsys, "bad", "--project", str(project))
    expected = sorted(re.findall(r"[✗!] (vpn-[a-z0-9-]+)", text))
    if fmt == "json":
        assert sorted(v["policy"] for v in document["violations"]) == expected
        assert document["summary"]["passed"] is False
        assert document["summary"]["mandatory"] == len(
            [v for v in document["violations"] if v["enforcementLevel"] == "mandatory"]
        )
        assert all(
            r["inputs"].get("psk") in (None, "[secret]", "[unknown]") for r in document["resources"]
        )
    else:
        assert document["version"] == "2.1.0"
        run = document["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        assert len(rules) == 22 and all(r["shortDescription"]["text"] for r in rules)
        results = run["results"]
        assert sorted(r["ruleId"] for r in results) == expected
        for r in results:
            assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
            assert r["level"] in ("error", "warning") and r["message"]["text"]
            assert (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "stacks/Pulumi.bad.yaml"
            )
            assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
                "urn:pulumi:bad::site-vpn::"
            )
        assert {r["level"] for r in results} == {"error", "warning"}


def test_in_process_and_grpc_give_the_same_violations(capsys, project):
    config = dev_config()
    config["site-vpn:sites"][0]["subnets"] = ["192.168.8.0/24"]
    config["site-vpn:dpd"] = {"action": "clear"}
    write_stack(project, "bad", config)
    results = {}
    for protocol in ("inprocess", "grpc"):
        code, out, _ = plan(
            capsys, "bad", "--project", str(project), "--format", "json", "--protocol", protocol
        )
        assert code == 1
        results[protocol] = sorted(
            json.dumps(v, sort_keys=True) for v in json.loads(out)["violations"]
        )
    assert results["inprocess"] == results["grpc"] and results["grpc"]


@pytest.fixture
def secure_stack(project):
    config = dev_config()
    config["site-vpn:psk"] = {"secure": "v1:bm90LWRlY3J5cHRhYmxlLW9mZmxpbmU="}
    write_stack(project, "secure", config)
    return project


def test_secure_value_without_a_source_stays_unknown(capsys, secure_stack, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_SITE_VPN_PSK", raising=False)
    code, out, _ = plan(capsys, "secure", "--project", str(secure_stack))
    assert code == 0
    assert "Secrets not given (unknown, as a preview that cannot decrypt them): site-vpn:psk" in out
    assert "can't run policy 'vpn-site-connection-enforce-psk-strength'" in out
    assert "random:index/randomPassword" not in out  # a configured PSK, just not known here
    assert "unknown-secret" not in out


def test_secure_value_from_the_command_line(capsys, secure_stack):
    code, out, err = plan(
        capsys, "secure", "--project", str(secure_stack), "--secret", f"psk={WEAK}"
    )
    assert code == 1
    assert "conn1 (SiteConnection).psk = [secret]: length 14 is outside 16-128" in out
    assert WEAK not in out and WEAK not in err


def test_secure_value_from_the_environment(capsys, secure_stack, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SITE_VPN_PSK", "Str0ng+Enough_Key-2026")
    code, out, _ = plan(capsys, "secure", "--project", str(secure_stack), "--format", "json")
    assert code == 0
    assert "Str0ng+Enough_Key-2026" not in out
    assert not [v for v in json.loads(out)["violations"] if v["policy"].endswith("psk-strength")]


def test_policy_pack_config(capsys, project, tmp_path):
    config = dev_config()
    config["site-vpn:ike"] = {"version": "v1"}
    write_stack(project, "v1", config)
    assert plan(capsys, "v1", "--project", str(project))[0] == 1
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"vpn-ike-policy-enforce-ikev2": {"allowIkeV1": True}}))
    assert plan(capsys, "v1", "--project", str(project), "--policy-pack-config", str(allow))[0] == 0
    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps({"all": "advisory"}))
    code, out, _ = plan(
        capsys, "v1", "--project", str(project), "--policy-pack-config", str(advisory)
    )
    assert code == 0 and "ikeVersion = 'v1'" in out
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = plan(
        capsys, "v1", "--project", str(project), "--policy-pack-config", str(broken)
    )
    assert code == 2 and err.startswith("error: policy pack config")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"vpn-site-connection-enforce-mtu": {"minMtu": "big"}}))
    code, _, err = plan(
        capsys, "v1", "--project", str(project), "--policy-pack-config", str(invalid)
    )
    assert (
        code == 2
        and "policy vpn-site-connection-enforce-mtu: config minMtu: 'big' is not of type 'integer'"
        in err
    )


def test_colour_only_when_asked(project):
    from sitevpn import render
    from sitevpn.plan import default_pack, make_plan

    plan_ = make_plan(ROOT, "dev", pack_dir=default_pack(ROOT))
    import io

    plain, coloured = io.StringIO(), io.StringIO()
    render.render_text(plan_, plain, colour=False)
    render.render_text(plan_, coloured, colour=True)
    assert "\033[" not in plain.getvalue() and "\033[1;32mPASSED" in coloured.getvalue()


def test_console_script_cold_start():
    """The installed entry point, as the README runs it (a fresh interpreter)."""
    exe = shutil.which("site-vpn", path=os.path.dirname(sys.executable))
    assert exe, "site-vpn console script is not installed in this environment"
    result = subprocess.run(
        [exe, "plan", "dev"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "PASSED" in result.stdout


def test_device_configs_offline(capsys, tmp_path):
    out_dir = tmp_path / "devices"
    code, _, err = plan(capsys, "prod", "--project", str(ROOT), "--device-config", str(out_dir))
    assert code == 0
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ["prod-dc1.swanctl.conf", "prod-dc2.swanctl.conf"]
    for path in out_dir.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
        assert f"{path} (mode 0600)" in err
    dc2 = (out_dir / "prod-dc2.swanctl.conf").read_text()
    assert "local_addrs = 36.20.20.36" in dc2 and "local_addrs = 36.20.20.37" in dc2
    assert "life_time = 1800s" in dc2  # the site's IPsec override
    assert "id = dc2-vpn.example.net" in dc2
    assert "remote_addrs = <EIP of gateway member a>" in dc2  # unknown until deployment
    assert 'secret = "<PSK: not known offline' in dc2  # generated at deployment


def test_device_configs_carry_a_given_secret(capsys, secure_stack, tmp_path):
    code, out, err = plan(
        capsys,
        "secure",
        "--project",
        str(secure_stack),
        "--device-config",
        str(tmp_path),
        "--secret",
        "psk=Str0ng-Pre-Shared+Key",
    )
    assert code == 0
    assert 'secret = "Str0ng-Pre-Shared+Key"' in (tmp_path / "secure-dc1.swanctl.conf").read_text()
    assert "Str0ng-Pre-Shared+Key" not in out + err


def test_a_secret_for_a_key_the_stack_does_not_have_is_refused(capsys):
    code, out, err = plan(capsys, "prod", "--project", str(ROOT), "--secret", "psk=whatever")
    assert code == 2 and out == ""
    # the key is not echoed either: a mistyped --secret may carry part of the secret before '='
    assert "--secret a key (not shown): stack 'prod' has no secure value for it" in err
    assert "whatever" not in err and "psk" not in err.split("secure keys")[0]


def test_device_configs_name_the_given_gateway_ips(capsys, tmp_path):
    code, _, err = plan(
        capsys, "prod", "--project", str(ROOT), "--device-config", str(tmp_path),
        "--gateway-ip", "a=203.0.113.10", "--gateway-ip", "b=203.0.113.11",
    )  # fmt: skip
    assert code == 0, err
    dc1 = (tmp_path / "prod-dc1.swanctl.conf").read_text()
    assert "remote_addrs = 203.0.113.10" in dc1 and "remote_addrs = 203.0.113.11" in dc1
    assert "<EIP of gateway member" not in dc1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a=not-an-address", "--gateway-ip needs MEMBER=ADDRESS with an IPv4 address"),
        ("203.0.113.10", "--gateway-ip needs MEMBER=ADDRESS"),
        ("z=203.0.113.10", "stack 'prod': --gateway-ip names z, not a member of gateway.members"),
    ],
)
def test_a_bad_gateway_ip_is_refused(capsys, tmp_path, given, expected):
    code, out, err = plan(
        capsys, "prod", "--project", str(ROOT), "--device-config", str(tmp_path),
        "--gateway-ip", given,
    )  # fmt: skip
    assert code == 2 and out == ""
    assert expected in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_device_steps_write_one_load_per_tunnel(capsys, tmp_path):
    from sitevpn.device_config import render_swanctl
    from tests.unit.test_device_config import design

    current, target = tmp_path / "running.conf", tmp_path / "dev-dc1.swanctl.conf"
    current.write_text(render_swanctl(design(), "Old-PSK-0123456789"))
    target.write_text(render_swanctl(design(ike={"dh_group": "group14"}), "New-PSK-0123456789"))
    code = cli.main(["device-steps", str(current), str(target), "--out", str(tmp_path / "s")])
    out, err = capsys.readouterr()
    assert code == 0, err
    first, second = (
        tmp_path / "s" / "dev-dc1.step1.swanctl.conf",
        tmp_path / "s" / "dev-dc1.step2.swanctl.conf",
    )
    assert second.read_text() == target.read_text()
    assert first.stat().st_mode & 0o777 == 0o600
    assert out.splitlines()[0] == f"1. swanctl --load-all --file {first}"
    assert "--ike dc1-conn1" in out and "--ike dc1-conn2" in out
    assert "PSK-0123456789" not in out + err


def test_device_steps_refuse_what_is_not_a_device_config(capsys, tmp_path):
    (tmp_path / "a.conf").write_text("conn x\n")
    (tmp_path / "b.conf").write_text("conn y\n")
    code = cli.main(
        ["device-steps", str(tmp_path / "a.conf"), str(tmp_path / "b.conf"), "--out", str(tmp_path)]
    )
    _, err = capsys.readouterr()
    assert code == 2 and "unexpected line outside the sections" in err
