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
        if not any(s.startswith("PENDING") for s in counts) or time.monotonic() - started > timeout:
            return counts, time.monotonic() - started
        time.sleep(5)


def show(line: str) -> None:
    """A table line, at once (a long run's rows survive its interruption)."""
    print(line, flush=True)


def previews(engine: Engine, base: Path, sites: int, stacks: int, parallel: list[int]) -> None:
    """Preview with the pack: the single stack, then the fleet at each parallelism."""
    folder = program_folder(base / "preview" / "program")
    sizes = layout(folder, hub_config(sites), stacks)
    init(engine, folder, ["single", "gw", *(f"s{j}" for j in range(stacks))])
    site_bytes = max(v for k, v in sizes.items() if k.startswith("s") and k != "single")
    show(
        f"preview --policy-pack, {sites} sites x 10 subnets; config: single stack "
        f"{sizes['single']} B, gateway stack {sizes['gw']} B, each site stack <= {site_bytes} B\n"
    )
    show("| layout | parallel | wall time (s) | vs single stack |")
    show("|---|---:|---:|---:|")
    single = Stack(folder, "single", engine.env).preview("--policy-pack", str(PACK), timeout=3600)
    show(f"| one stack, site files | - | {single.seconds:.1f} | 1.00 |")
    gateway = Stack(folder, "gw", engine.env)
    gateway.up(timeout=1800)  # the site stacks read its deployment
    try:
        for n in parallel:
            took = fleet(
                engine, folder, "preview", "--parallel", str(n), "--policy-pack", str(PACK)
            )
            show(
                f"| fleet: gateway + {stacks} site stacks | {n} | {took:.1f} "
                f"| {took / single.seconds:.2f} |"
            )
    finally:
        gateway.destroy(timeout=1800)


def ups(engine: Engine, cloud, base: Path, sites: int, stacks: int, parallel: list[int]) -> None:
    """Up and destroy: the fleet at the highest parallelism first, waiting for the agent to
    report every connection (the suite's cloud: one agent for every router), then the single
    stack and the other parallelisms (their destroy follows at once: Neutron deletes a pending
    connection too). Each row is shown as it is measured, the ratios at the end."""
    folder = program_folder(base / "up" / "program")
    layout(folder, hub_config(sites, subnets_per_site=2), stacks)
    init(engine, folder, ["single"])
    show(f"\nup and destroy, {sites} sites x 2 subnets: as measured\n")
    single = Stack(folder, "single", engine.env)
    order = sorted(parallel, reverse=True)
    rows: dict[object, tuple[float, float, str]] = {}
    for key in [order[0], "single", *order[1:]]:
        agent = "not waited for"
        try:
            if key == "single":
                up = single.up(timeout=3600).seconds
            else:
                up = fleet(engine, folder, "up", "--parallel", str(key))
                if key == order[0]:
                    counts, waited = settled(cloud)
                    agent = f"{counts} {waited:.0f} s after up"
        finally:
            if key == "single":
                down = single.destroy(timeout=3600).seconds
            else:
                down = fleet(engine, folder, "destroy", "--parallel", str(key))
        rows[key] = (up, down, agent)
        show(f"- {key}: up {up:.1f} s, destroy {down:.1f} s, connections: {agent}")
    s_up, s_down, _ = rows["single"]
    show(
        "\n| layout | parallel | up (s) | vs single | destroy (s) | vs single | agent's statuses |"
    )
    show("|---|---:|---:|---:|---:|---:|---|")
    for key in ["single", *parallel]:
        up, down, agent = rows[key]
        name = "one stack, site files" if key == "single" else f"fleet ({stacks} site stacks)"
        show(
            f"| {name} | {'-' if key == 'single' else key} | {up:.1f} | {up / s_up:.2f} "
            f"| {down:.1f} | {down / s_down:.2f} | {agent} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Print the tables as they are measured; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preview-sites", type=int, default=1000)
    parser.add_argument("--up-sites", type=int, default=200)
    parser.add_argument("--stacks", type=int, default=8)
    parser.add_argument("--parallel", default="1,2,4")
    parser.add_argument("--skip-previews", action="store_true")
    args = parser.parse_args(argv)
    parallel = [int(n) for n in args.parallel.split(",")]
    with tempfile.TemporaryDirectory(prefix="site-vpn-fleet-") as workdir:
        base = Path(workdir)
        with benchmark_cloud(base) as cloud:
            # a backend each: both parts' stacks have the same names in one project
            openrc = cloud.credentials("member").environ()
            if not args.skip_previews:
                previews(
                    Engine(base / "preview", openrc),
                    base,
                    args.preview_sites,
                    args.stacks,
                    parallel,
                )
            ups(Engine(base / "up", openrc), cloud, base, args.up_sites, args.stacks, parallel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
