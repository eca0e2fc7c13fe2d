"""The program's cost: the same resource graph from site-vpn's components (config validated by
pydantic, components, device configurations) and from plain pulumi-openstack calls, under the SDK
runtime in preview, side by side.

    python bench/program.py [--sizes 1,10,100,1000] [--repeats 3]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench.plain import plain_program
from bench.sites import hub_config
from offline_engine import runtime

ROOT = Path(__file__).resolve().parent.parent


def components(sites: int) -> tuple[float, int]:
    """(seconds, registrations) for the real program."""
    config = {f"site-vpn:{k}": json.dumps(v) for k, v in hub_config(sites).items()}
    started = time.perf_counter()
    capture = runtime.run_project(
        ROOT / "__main__.py", project="site-vpn", stack="bench", config=config, preview=True
    )
    took = time.perf_counter() - started
    assert capture.error is None, capture.error
    return took, len(capture.resources)


def plain(sites: int) -> tuple[float, int]:
    """(seconds, registrations) for the hand-written equivalent."""
    started = time.perf_counter()
    capture = runtime.run(plain_program(sites), project="site-vpn", stack="bench", preview=True)
    took = time.perf_counter() - started
    assert capture.error is None, capture.error
    return took, len(capture.resources)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    components(1)  # imports and first-run setup belong to neither side
    print(
        "| sites | registrations: components / plain | components (s) | plain (s) | ratio "
        "| ms per registration: components / plain |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for sites in (int(s) for s in args.sizes.split(",")):
        runs_c, runs_p = [], []
        for _ in range(args.repeats if sites < 1000 else 1):
            runs_c.append(components(sites))
            runs_p.append(plain(sites))
        c, n_c = statistics.median(r[0] for r in runs_c), runs_c[0][1]
        p, n_p = statistics.median(r[0] for r in runs_p), runs_p[0][1]
        print(
            f"| {sites} | {n_c} / {n_p} | {c:.2f} | {p:.2f} | {c / p:.2f}x "
            f"| {1000 * c / n_c:.2f} / {1000 * p / n_p:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
