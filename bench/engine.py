"""The real engine's cost by stack size, side by side in one run: `site-vpn plan` (offline),
`pulumi preview`, `pulumi preview --policy-pack policies`, and `pulumi up` / `pulumi destroy`, for
generated hub stacks (10 subnets a site) deployed into the suite's cloud as the project member,
with the sites in the stack file or in site files (``siteFiles``, one file a site). Needs the
toolchain (`make toolchain`) and root for the cloud (.ci/system-deps.sh).

    python -m bench.engine [--sizes 1,100,300] [--up-sizes 1,10,50] [--repeats 1]
        [--layouts stack,files]    (SITE_VPN_CLOUD=<state dir> reuses a running cloud)
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.sites import hub_config
from tests.cloud.fixture import benchmark_cloud
from tests.engine import PACK, Engine, Stack, offline_plan, program_folder

LAYOUTS = ("stack", "files")
"""Where the sites are: in the stack file, or one file a site under ``siteFiles``."""


def plan_seconds(stack: Stack) -> float:
    """Wall time of a cold `site-vpn plan` of the same stack (no cloud, no CLI)."""
    started = time.perf_counter()
    offline_plan(stack)
    return time.perf_counter() - started


def timed(call) -> float:
    """Seconds one engine call took (it must succeed)."""
    return call().seconds


def generated_stack(engine: Engine, name: str, values: dict, layout: str) -> Stack:
    """A stack of ``values`` with its sites laid out as ``layout`` says."""
    if layout == "stack":
        return engine.stack(name, values)
    folder = program_folder(engine.root / "programs" / name)
    (folder / "sites").mkdir(exist_ok=True)
    for site in values["sites"]:
        (folder / "sites" / f"{site['name']}.yaml").write_text(yaml.safe_dump(site))
    rest = {k: v for k, v in values.items() if k != "sites"} | {"siteFiles": ["sites/*.yaml"]}
    return engine.stack(name, rest, workdir=folder)


def config_bytes(stack: Stack) -> int:
    """Size of the stack's site-vpn config as the engine hands it to the program (JSON)."""
    doc = yaml.safe_load((stack.workdir / "stacks" / f"Pulumi.{stack.name}.yaml").read_text())
    return len(json.dumps(doc["config"]))


def previews(engine: Engine, sites: int, repeats: int, layout: str = "stack") -> dict:
    """Plan and preview (with and without the pack) of one generated stack, same machine; a
    preview the engine cannot start (the config over Linux's 128 KiB limit) is recorded as
    such."""
    stack = generated_stack(engine, f"hub{sites}-{layout}", hub_config(sites), layout)
    figures: dict[str, list[float]] = {"plan": [], "preview": [], "pack": []}
    failed = ""
    for _ in range(repeats):  # interleaved: a noisy moment hits all three alike
        figures["plan"].append(plan_seconds(stack))
        first = stack.preview(timeout=1800, check=False)
        if first.returncode:
            e2big = "argument list too long"
            failed = e2big if e2big in first.output else "failed"
            break
        figures["preview"].append(first.seconds)
        figures["pack"].append(
            timed(lambda: stack.preview("--policy-pack", str(PACK), timeout=1800))
        )
    row: dict = {"bytes": config_bytes(stack), "failed": failed}
    if failed:
        return row | {"resources": 0, "plan": statistics.median(figures["plan"])}
    steps = stack.preview("--json", timeout=1800).json()["steps"]
    medians = {k: statistics.median(v) for k, v in figures.items()}
    return row | {"resources": len(steps) - 1} | medians


def up_and_destroy(engine: Engine, sites: int) -> dict[str, float]:
    """`pulumi up` then `pulumi destroy` of one generated stack, timed."""
    stack = engine.stack(f"up{sites}", hub_config(sites, subnets_per_site=2))
    try:
        up = timed(lambda: stack.up(timeout=3600))
        resources = len(stack.state().resources)
    finally:
        destroy = timed(lambda: stack.destroy(timeout=3600))
    return {"up": up, "destroy": destroy, "resources": resources}


def main(argv: list[str] | None = None) -> int:
    """Print the tables; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,300")
    parser.add_argument("--up-sizes", default="1,10,50")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--layouts", default="stack", help="stack, files or both (stack,files)")
    args = parser.parse_args(argv)
    layouts = args.layouts.split(",")
    if not set(layouts) <= set(LAYOUTS):
        parser.error(f"--layouts: {', '.join(LAYOUTS)}")
    with tempfile.TemporaryDirectory(prefix="site-vpn-engine-") as workdir:
        base = Path(workdir)
        with benchmark_cloud(base) as cloud:
            engine = Engine(base / "engine", cloud.credentials("member").environ())
            rows = {
                (n, layout): previews(engine, n, args.repeats, layout)
                for n in map(int, args.sizes.split(","))
                for layout in layouts
            }
            ups = {n: up_and_destroy(engine, n) for n in map(int, args.up_sizes.split(","))}
    print(
        "| sites | sites in | config (bytes) | resources | site-vpn plan (s) | pulumi preview (s) "
        "| preview + pack (s) | preview / plan | pack's share of the preview |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for (sites, layout), r in rows.items():
        where = "stack file" if layout == "stack" else "site files"
        if r["failed"]:
            print(
                f"| {sites} | {where} | {r['bytes']} | - | {r['plan']:.2f} "
                f"| fails: {r['failed']} | - | - | - |"
            )
            continue
        share = (r["pack"] - r["preview"]) / r["pack"]
        print(
            f"| {sites} | {where} | {r['bytes']} | {r['resources']} | {r['plan']:.2f} "
            f"| {r['preview']:.2f} | {r['pack']:.2f} | {r['preview'] / r['plan']:.2f} "
            f"| {share:.0%} |"
        )
    print(
        "\n| sites (2 subnets each) | resources | pulumi up (s) | pulumi destroy (s) "
        "| up per site (s) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for sites, r in ups.items():
        print(
            f"| {sites} | {r['resources']} | {r['up']:.1f} | {r['destroy']:.1f} "
            f"| {r['up'] / sites:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
