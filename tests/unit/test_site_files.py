"""Sites kept in files of the project (``siteFiles``): the same models and the same
registrations as sites in the stack file, errors naming the file, line and column, and nothing
read from outside the project."""

import copy
import json
import shutil
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitevpn import cli
from sitevpn.config import ConfigError, validate_config
from tests.conftest import PSK, ROOT, stack_config


def project(folder: Path, files: dict[str, str | bytes]) -> Path:
    """A project folder: the program and ``files`` (path -> text or bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "__main__.py", folder / "__main__.py")
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def registrations(capture) -> str:
    assert capture.error is None, capture.error
    # by URN: the order of registrations across components varies from run to run
    return json.dumps(sorted((r.urn, r.inputs) for r in capture.resources), sort_keys=True)


def dump(value) -> str:
    return yaml.safe_dump(value, sort_keys=False)


LAYOUTS = {
    # layout -> (sites left in the stack file, files) for prod's sites dc1, dc2
    "a file per site": lambda s: ([], {"sites/dc1.yaml": dump(s[0]), "sites/dc2.yaml": dump(s[1])}),
    "one file, a list": lambda s: ([], {"sites/all.yaml": dump(s)}),
    "dc1 in the stack file, dc2 in a file": lambda s: (s[:1], {"sites/dc2.yaml": dump(s[1])}),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sites_in_files_register_what_sites_in_the_stack_file_do(
    run_program, prod, tmp_path, layout
):
    inline = run_program(prod, stack="prod", psk=PSK)
    listed, files = LAYOUTS[layout](copy.deepcopy(prod["sites"]))
    values = {k: v for k, v in prod.items() if k != "sites"} | {"siteFiles": ["sites/*.yaml"]}
    if listed:
        values["sites"] = listed
    folder = project(tmp_path / "p", files)
    assert registrations(run_program(values, stack="prod", psk=PSK, project=folder)) == (
        registrations(inline)
    )


def refused(run_program, tmp_path, files, site_files=("sites/*.yaml",), inline=()):
    values = {k: v for k, v in stack_config("prod").items() if k != "sites"}
    values |= {"siteFiles": site_files if isinstance(site_files, str) else list(site_files)}
    if inline:
        values["sites"] = list(inline)
    capture = run_program(values, stack="prod", psk=PSK, project=project(tmp_path / "p", files))
    assert capture.error is not None, "accepted"
    assert capture.resources == [], "something was registered before the config error"
    assert capture.error.startswith("stack 'prod': invalid site-vpn configuration")
    assert "Traceback" not in capture.error and PSK not in capture.error
    return capture.error


SITE = stack_config("prod")["sites"][1]  # dc2


@pytest.mark.parametrize(
    ("files", "patterns", "named"),
    [
        ({}, ["sites/*.yaml"], "site-vpn:siteFiles[0] = 'sites/*.yaml': matches no file"),
        ({}, ["/etc/*.conf"], "site-vpn:siteFiles[0] = '/etc/*.conf': a pattern is relative"),
        ({}, ["../*.yaml"], "site-vpn:siteFiles[0] = '../*.yaml': a pattern is relative"),
        ({}, [""], "site-vpn:siteFiles[0]: a file pattern is a non-empty string"),
        ({}, "sites/*.yaml", "site-vpn:siteFiles: a list of file patterns"),
        ({"sites/a.yaml": b"name: dc\xff2\n"}, None, "sites/a.yaml: line 1 column 9: not UTF-8"),
        ({"sites/a.yaml": "just text\n"}, None, "sites/a.yaml: holds one site (a mapping) or a"),
        ({"sites/a.yaml": "[]\n"}, None, "sites/a.yaml: holds one site (a mapping) or a list"),
        ({"sites/a.yaml": "a: [b\n"}, None, "sites/a.yaml: line 2 column 1:"),
        (
            {"sites/a.yaml": dump([SITE, SITE | {"subnets": ["10.0.0.1/8"]}])},
            None,
            "sites/a.yaml line 17 column 5: [1].subnets[0] = '10.0.0.1/8': host bits",
        ),
        (
            {"sites/a.yaml": dump(SITE | {"secret": "Sup3r-Secret-shown?"})},
            None,
            "sites/a.yaml line 14 column 9: secret: unknown key (value not shown)",
        ),
        (
            {"sites/a.yaml": 'name: "dc\\a2"\n'},
            None,
            "sites/a.yaml line 1 column 7: name: contains the control character U+0007",
        ),
    ],
    ids=lambda v: str(v)[:40],
)
def test_a_bad_site_file_is_refused_naming_the_file(run_program, tmp_path, files, patterns, named):
    error = refused(run_program, tmp_path, files, patterns or ["sites/*.yaml"])
    assert named in error, error
    assert "Sup3r-Secret-shown?" not in error


def test_a_site_in_a_file_may_not_reuse_a_key_of_the_stack_file(run_program, tmp_path):
    error = refused(
        run_program, tmp_path, {"sites/a.yaml": dump(SITE)}, inline=[SITE | {"tunnels": []}]
    )
    assert "site-vpn:sites[0].tunnels" in error  # the stack file's own site keeps its name
    error = refused(
        run_program, tmp_path / "2", {"sites/a.yaml": dump(SITE)}, inline=[copy.deepcopy(SITE)]
    )
    assert "sites/a.yaml line 1 column 7: name = 'dc2': duplicate site name 'dc2'" in error


def test_a_link_out_of_the_project_is_not_followed(run_program, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(dump(SITE))
    folder = project(tmp_path / "p", {})
    (folder / "sites").mkdir()
    (folder / "sites" / "dc2.yaml").symlink_to(outside)
    error = refused(run_program, tmp_path, {})
    assert "sites/dc2.yaml leads out of the project folder" in error


def test_the_offline_plan_and_device_configs_read_site_files(capsys, tmp_path):
    values = stack_config("prod")
    sites = values.pop("sites")
    stack = {"config": {f"site-vpn:{k}": v for k, v in values.items()}}
    stack["config"]["site-vpn:siteFiles"] = ["regions/**/*.yaml"]
    folder = project(
        tmp_path / "p",
        {
            "Pulumi.yaml": (ROOT / "Pulumi.yaml").read_text(),
            "stacks/Pulumi.prod.yaml": dump(stack),
            "regions/eu/dc1.yaml": dump(sites[0]),
            "regions/us/dc2.yaml": dump(sites[1]),
        },
    )
    out = tmp_path / "devices"
    code = cli.main(
        ["plan", "prod", "--project", str(folder), "--no-policy-pack", "--device-config", str(out)]
    )
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert "site-vpn-dc2-pair-conn2" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "prod-dc1.swanctl.conf",
        "prod-dc2.swanctl.conf",
    ]
    assert "id = dc2-vpn.example.net" in (out / "prod-dc2.swanctl.conf").read_text()


TEXT = st.text(string.printable, max_size=200) | st.sampled_from(
    [dump(SITE), dump([SITE, SITE]), "name: dc3\n", "- 1\n- [2\n", "&a [*a]\n"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
def test_any_site_file_is_read_or_refused_never_a_crash(tmp_path, text):
    folder = tmp_path / "h"
    folder.mkdir(exist_ok=True)
    (folder / "s.yaml").write_text(text)
    values = {k: v for k, v in stack_config("prod").items() if k != "sites"}
    try:
        validate_config(values | {"siteFiles": ["s.yaml"]}, folder)
    except ConfigError as exc:
        assert "Traceback" not in str(exc)
