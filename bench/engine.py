"""The real engine's cost by stack size, side by side in one run: `site-vpn plan` (offline),
`pulumi preview`, `pulumi preview --policy-pack policies`, and `pulumi up` / `pulumi destroy`, for
generated hub stacks (10 subnets a site) deployed into the suite's cloud as the project member.
Needs the toolchain (`make toolchain`) and root for the cloud (.ci/system-deps.sh).

    python -m bench.engine [--sizes 1,100,300] [--up-sizes 1,10,50] [--repeats 1]
        (SITE_VPN_CLOUD=<state dir> reuses a running cloud)
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.sites import hub_config
from tests.cloud.fixture import benchmark_cloud
from tests.engine import PACK, Engine, Stack, offline_plan


def plan_seconds(stack: Stack) -> float:
    """Wall time of a cold `site-vpn plan` of the same stack (no cloud, no CLI)."""
    started = time.perf_counter()
    offline_plan(stack)
    return time.perf_counter() - started


def timed(call) -> float:
    """Seconds one engine call took (it must succeed)."""
    return call().seconds


def previews(engine: Engine, sites: int, repeats: int) -> dict[str, float]:
    """Plan and preview (with and without the pack) of one generated stack, same machine."""
    stack = engine.stack(f"hub{sites}", hub_config(sites))
    figures: dict[str, list[float]] = {"plan": [], "preview": [], "pack": []}
    for _ in range(repeats):  # interleaved: a noisy moment hits all three alike
        figures["plan"].append(plan_seconds(stack))
        figures["preview"].append(timed(lambda: stack.preview(timeout=1800)))
        figures["pack"].append(
            timed(lambda: stack.preview("--policy-pack", str(PACK), timeout=1800))
        )
    steps = stack.preview("--json", timeout=1800).json()["steps"]
    return {"resources": len(steps) - 1} | {k: statistics.median(v) for k, v in figures.items()}


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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="site-vpn-engine-") as workdir:
        base = Path(workdir)
        with benchmark_cloud(base) as cloud:
            engine = Engine(base / "engine", cloud.credentials("member").environ())
            rows = {n: previews(engine, n, args.repeats) for n in map(int, args.sizes.split(","))}
            ups = {n: up_and_destroy(engine, n) for n in map(int, args.up_sizes.split(","))}
    print(
        "| sites | resources | site-vpn plan (s) | pulumi preview (s) | preview + pack (s) "
        "| preview / plan | pack's share of the preview |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for sites, r in rows.items():
        share = (r["pack"] - r["preview"]) / r["pack"]
        print(
            f"| {sites} | {r['resources']} | {r['plan']:.2f} | {r['preview']:.2f} "
            f"| {r['pack']:.2f} | {r['preview'] / r['plan']:.2f} | {share:.0%} |"
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
