"""Site files through the real engine: the Python language host runs the program in the
project folder, so `pulumi preview` (with the pack) reads the sites of `siteFiles` as the
offline plan does, and a bad file stops it naming the file, line and column."""

import yaml

from tests.conftest import PSK, stack_config
from tests.engine import PACK, program_folder


def _stack(member, name: str, sites_text: dict[str, str]):
    values = {k: v for k, v in stack_config("prod").items() if k != "sites"}
    values["siteFiles"] = ["sites/*.yaml"]
    folder = program_folder(member.root / "programs" / name)
    for file, text in sites_text.items():
        (folder / "sites").mkdir(exist_ok=True)
        (folder / "sites" / file).write_text(text)
    return member.stack(name, values, psk=PSK, workdir=folder)


def test_preview_reads_the_sites_of_site_files(engine_as, existing_vpc):
    member = engine_as("member")
    sites = stack_config("prod")["sites"]
    stack = _stack(member, "files", {f"{s['name']}.yaml": yaml.safe_dump(s) for s in sites})
    result = stack.preview("--policy-pack", str(PACK), "--diff")
    assert "site-vpn-dc1-pair-conn1" in result.output and "site-vpn-dc2-pair-conn2" in result.output
    assert "mandatory" not in result.output.lower() and PSK not in result.output

    bad = dict(sites[1], subnets=["10.20.0.1/16"])
    stack = _stack(member, "bad-file", {"dc2.yaml": yaml.safe_dump(bad, sort_keys=False)})
    failed = stack.preview("--policy-pack", str(PACK), check=False)
    assert failed.returncode != 0
    assert "sites/dc2.yaml line 8 column 3: subnets[0] = '10.20.0.1/16': host bits" in (
        failed.output
    ), failed.output
    assert "Traceback" not in failed.output and PSK not in failed.output
