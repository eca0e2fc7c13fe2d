"""Tunnels, from the e2e harness: seconds from daemon start to both CHILD_SAs installed, and
failover seconds (the carrying EIP removed until traffic crosses again), over N runs of the dev
stack (active-active). Needs root and strongSwan (.ci/system-deps.sh).

    python bench/tunnels.py [--runs 10]
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import bring_up, build_scenario  # noqa: E402
from tests.e2e.lab import Lab  # noqa: E402
from tests.e2e.test_interop import carrying, resume_after  # noqa: E402


def one_run(workdir: Path) -> tuple[float, float]:
    """(seconds to both CHILD_SAs, failover seconds) of one fresh lab."""
    s = build_scenario("dev", "dc1")
    lab = Lab(workdir)
    try:
        established = bring_up(lab, s)
        assert established is not None, "the tunnels did not come up"
        active = carrying(lab)
        eip = s.eips[0] if active.endswith("conn1") else s.eips[1]
        failover = resume_after(lab, lambda: lab.address("cloud", "del", eip))
        return established, failover
    finally:
        lab.close()


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    results = []
    for index in range(args.runs):
        with tempfile.TemporaryDirectory(prefix=f"site-vpn-tunnels-{index}-") as workdir:
            results.append(one_run(Path(workdir)))
    print("| measure (dev stack, active-active, DPD 2 s / 6 s) | runs | median (s) | min | max |")
    print("|---|---:|---:|---:|---:|")
    for label, values in (
        ("daemon start -> both CHILD_SAs installed", [r[0] for r in results]),
        ("failover: carrying EIP removed -> traffic again", [r[1] for r in results]),
    ):
        print(
            f"| {label} | {len(values)} | {statistics.median(values):.2f} | {min(values):.2f} "
            f"| {max(values):.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
