"""One stack with site files against a fleet, side by side in one run, through the real engine
and the suite's cloud: `pulumi preview --policy-pack` of the single stack and `site-vpn fleet
preview --policy-pack` of the same sites split over site stacks (10 subnets a site), then
`pulumi up` / `destroy` of the single stack and `site-vpn fleet up` / `destroy` (2 subnets a
site), the fleet at each parallelism. Needs the toolchain (`make toolchain`) and root for the
cloud (.ci/system-deps.sh).

    python -m bench.fleet [--preview-sites 1000] [--up-sites 200] [--stacks 8]
        [--parallel 1,2,4]      (SITE_VPN_CLOUD=<state dir> reuses a running cloud)
"""

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.sites import hub_config
from tests.cloud.fixture import benchmark_cloud
from tests.engine import PACK, Engine, Stack, program_folder, run_cli, site_vpn_fleet, stack_file


def layout(folder: Path, values: dict, stacks: int) -> dict[str, int]:
    """Stack files in ``folder``: ``single`` (every site, through site files), ``gw`` (the
    gateway alone) and ``stacks`` site stacks ``s0``… sharing the sites; each file's config
    size in bytes."""
    sites = values["sites"]
    gateway = {k: v for k, v in values.items() if k != "sites"}
    for index, site in enumerate(sites):
        path = folder / "sites" / f"s{index % stacks}" / f"{site['name']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(site))
    files = {"single": gateway | {"siteFiles": ["sites/*/*.yaml"]}, "gw": gateway | {"sites": []}}
    for j in range(stacks):
        files[f"s{j}"] = {"gatewayStack": "gw", "siteFiles": [f"sites/s{j}/*.yaml"]}
    sizes = {}
    for name, config in files.items():
        text = stack_file(config)
        (folder / "stacks" / f"Pulumi.{name}.yaml").write_text(text)
        sizes[name] = len(json.dumps(yaml.safe_load(text)["config"]))
    return sizes


def fleet(engine: Engine, folder: Path, *args: str) -> float:
    """Seconds one `site-vpn fleet` run took (every stack must complete)."""
    started = time.perf_counter()
    done = site_vpn_fleet(engine.env, folder, *args, "gw")
    if done.returncode:
        raise RuntimeError(f"site-vpn fleet {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


def init(engine: Engine, folder: Path, names: list[str]) -> None:
    for name in names:
        run_cli(["stack", "init", name, "--non-interactive"], cwd=folder, env=engine.env)


def connection_statuses(cloud) -> dict[str, int]:
    """How many site connections Neutron has, by status."""
    counts: dict[str, int] = {}
    for c in cloud.member.list("vpn/ipsec-site-connections"):
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    return counts


def settled(cloud, timeout: float = 900) -> tuple[dict[str, int], float]:
    """Wait until the agent has reported every connection (none PENDING_*): its statuses and
    the seconds waited."""
    started = time.monotonic()
    while True:
        counts = connection_statuses(cloud)
        if not any(re.match("PENDING", s) for s in counts) or time.monotonic() - started > timeout:
            return counts, time.monotonic() - started
        time.sleep(5)


def previews(engine: Engine, base: Path, sites: int, stacks: int, parallel: list[int]) -> dict:
    folder = program_folder(base / "preview" / "program")
    sizes = layout(folder, hub_config(sites), stacks)
    init(engine, folder, ["single", "gw", *(f"s{j}" for j in range(stacks))])
    single = Stack(folder, "single", engine.env)
    row = {
        "sizes": sizes,
        "single": single.preview("--policy-pack", str(PACK), timeout=3600).seconds,
    }
    Stack(folder, "gw", engine.env).up(timeout=1800)  # site stacks read its deployment
    try:
        for n in parallel:
            row[n] = fleet(
                engine, folder, "preview", "--parallel", str(n), "--policy-pack", str(PACK)
            )
    finally:
        Stack(folder, "gw", engine.env).destroy(timeout=1800)
    return row


def ups(engine: Engine, cloud, base: Path, sites: int, stacks: int, parallel: list[int]) -> dict:
    folder = program_folder(base / "up" / "program")
    layout(folder, hub_config(sites, subnets_per_site=2), stacks)
    init(engine, folder, ["single"])
    single = Stack(folder, "single", engine.env)
    row: dict = {}
    try:
        row["single"] = (single.up(timeout=3600).seconds, *settled(cloud))
    finally:
        row["single"] += (single.destroy(timeout=3600).seconds,)
    for n in parallel:
        try:
            row[n] = (fleet(engine, folder, "up", "--parallel", str(n)), *settled(cloud))
        finally:
            row[n] += (fleet(engine, folder, "destroy", "--parallel", str(n)),)
    return row


def main(argv: list[str] | None = None) -> int:
    """Print the tables; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preview-sites", type=int, default=1000)
    parser.add_argument("--up-sites", type=int, default=200)
    parser.add_argument("--stacks", type=int, default=8)
    parser.add_argument("--parallel", default="1,2,4")
    args = parser.parse_args(argv)
    parallel = [int(n) for n in args.parallel.split(",")]
    with tempfile.TemporaryDirectory(prefix="site-vpn-fleet-") as workdir:
        base = Path(workdir)
        with benchmark_cloud(base) as cloud:
            # a backend each: both parts' stacks have the same names in one project
            openrc = cloud.credentials("member").environ()
            p = previews(
                Engine(base / "preview", openrc), base, args.preview_sites, args.stacks, parallel
            )
            u = ups(Engine(base / "up", openrc), cloud, base, args.up_sites, args.stacks, parallel)
    sizes = p["sizes"]
    site_bytes = max(v for k, v in sizes.items() if k.startswith("s"))
    print(
        f"preview --policy-pack, {args.preview_sites} sites x 10 subnets; config: single stack "
        f"{sizes['single']} B, gateway stack {sizes['gw']} B, each site stack <= {site_bytes} B\n"
    )
    print("| layout | parallel | wall time (s) | vs single stack |")
    print("|---|---:|---:|---:|")
    print(f"| one stack, site files | - | {p['single']:.1f} | 1.00 |")
    for n in parallel:
        print(
            f"| fleet: gateway + {args.stacks} site stacks | {n} | {p[n]:.1f} "
            f"| {p[n] / p['single']:.2f} |"
        )
    print(f"\nup and destroy, {args.up_sites} sites x 2 subnets\n")
    print(
        "| layout | parallel | up (s) | vs single | connections after up | agent settled (s) "
        "| destroy (s) | vs single |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    s_up, _, _, s_down = u["single"]
    for key in ["single", *parallel]:
        up, counts, wait, down = u[key]
        name = "one stack, site files" if key == "single" else f"fleet ({args.stacks} site stacks)"
        print(
            f"| {name} | {'-' if key == 'single' else key} | {up:.1f} | {up / s_up:.2f} "
            f"| {counts} | {wait:.0f} | {down:.1f} | {down / s_down:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
