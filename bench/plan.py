"""Cold `site-vpn plan` wall time (a fresh interpreter each run) for the dev stack and a generated
1,000-site stack, with the import-time breakdown of the start-up.

    python bench/plan.py [--runs 5] [--large 1000]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.sites import hub_config
from tests.engine import stack_file

ROOT = Path(__file__).resolve().parent.parent

CLI = [sys.executable, "-m", "sitevpn.cli", "plan"]


def cold(stack: str, project: Path) -> tuple[float, str]:
    """(wall seconds, the --timings line) of one cold plan."""
    started = time.perf_counter()
    result = subprocess.run(
        [*CLI, stack, "--project", str(project), "--timings"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.perf_counter() - started
    # 1: a mandatory policy failed (a generated stack beyond 8,160 sites reuses tunnel /30s);
    # the plan is whole and timed all the same
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return wall, result.stderr.strip().splitlines()[-1]


def import_breakdown(project: Path, top: int = 8) -> list[tuple[str, float]]:
    """The heaviest top-level imports of a plan (cumulative, seconds), by -X importtime."""
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "sitevpn.cli",
            "plan",
            "dev",
            "--project",
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    totals = []
    for line in result.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):  # top-level imports only
            totals.append((m.group(2).strip(), int(m.group(1)) / 1e6))
    return sorted(totals, key=lambda t: -t[1])[:top]


def large_project(sites: int) -> Path:
    """A copy of the project with a generated stack file of ``sites`` sites."""
    folder = Path(tempfile.mkdtemp(prefix="site-vpn-bench-"))
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    for name in ("components", "policies"):
        os.symlink(ROOT / name, folder / name)
    (folder / "stacks").mkdir()
    (folder / "stacks" / f"Pulumi.hub{sites}.yaml").write_text(stack_file(hub_config(sites)))
    return folder


def main(argv: list[str] | None = None) -> int:
    """Print the tables; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large", type=int, default=1000)
    args = parser.parse_args(argv)
    bare = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
    runs = [cold("dev", ROOT) for _ in range(args.runs)]
    walls = [w for w, _ in runs]
    print("| stack | runs | wall median (s) | min | max | breakdown of the median run |")
    print("|---|---:|---:|---:|---:|---|")
    median_run = sorted(runs)[len(runs) // 2]
    print(
        f"| dev | {args.runs} | {statistics.median(walls):.2f} | {min(walls):.2f} "
        f"| {max(walls):.2f} | {median_run[1]} |"
    )
    folder = large_project(args.large)
    try:
        wall, line = cold(f"hub{args.large}", folder)
        print(f"| generated, {args.large} sites | 1 | {wall:.2f} | | | {line} |")
        top = import_breakdown(ROOT)
    finally:
        shutil.rmtree(folder)
    print(f"\nbare interpreter start: {statistics.median(bare):.3f} s")
    print("\n| heaviest top-level imports of a plan | cumulative (s) |\n|---|---:|")
    for name, seconds in top:
        print(f"| {name} | {seconds:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
