"""Policy pack cost by stack size, side by side with its floors, through the same analyzer client.

    python bench/policy_pack.py [--sizes 1,10,100,1000] [--protocols inprocess,grpc] [--repeats 3]

Floors: ``empty`` checks nothing (one no-op policy of each kind: the protocol and the policy SDK
alone); ``noop-22`` declares site-vpn's 22 policies with checks that do nothing (the SDK's cost
per declared policy). ``site-vpn`` is the real pack. Times are the median of ``--repeats`` runs
of Configure + every Analyze + AnalyzeStack (the plugin's start is reported apart).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from netaddr import IPNetwork

from bench.sites import hub_config
from offline_engine import analyzer, runtime

ROOT = Path(__file__).resolve().parent.parent

PACKS = {
    "empty": ROOT / "bench" / "empty_pack",
    "noop-22": ROOT / "bench" / "noop_pack",
    "site-vpn": ROOT / "policies",
}


def capture_for(sites: int) -> runtime.Capture:
    """The previewed registrations of a generated hub with ``sites`` sites."""
    config = {f"site-vpn:{k}": __import__("json").dumps(v) for k, v in hub_config(sites).items()}
    capture = runtime.run_project(
        ROOT / "__main__.py", project="site-vpn", stack="bench", config=config, preview=True
    )
    assert capture.error is None, capture.error
    return capture


def time_pack(pack: Path, protocol: str, capture: runtime.Capture) -> tuple[float, float, int]:
    """(seconds to start, seconds to analyze, mandatory violations)."""
    started = time.perf_counter()
    with analyzer.open_pack(pack, protocol=protocol, project="site-vpn", stack="bench") as session:
        ready = time.perf_counter()
        session.configure()
        report = session.analyze(capture)
        done = time.perf_counter()
    return ready - started, done - ready, len(report.mandatory)


def sweep_10k() -> float:
    """Seconds for the overlap sweep over 10,000 CIDRs (1,000 sites x 10 subnets)."""
    sys.path.insert(0, str(ROOT / "policies"))
    from sitevpn_policies.checks.networks import Tagged, overlapping_pairs

    items = [
        Tagged(IPNetwork(f"10.{i // 256}.{i % 256}.0/24"), i // 10, str(i)) for i in range(10000)
    ]
    started = time.perf_counter()
    overlapping_pairs(items)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--protocols", default="inprocess,grpc")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        "| sites | resources | transport | start (s) | empty (s) | noop-22 (s) | site-vpn (s) "
        "| site-vpn / empty | site-vpn / noop-22 |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for sites in (int(s) for s in args.sizes.split(",")):
        capture = capture_for(sites)
        repeats = args.repeats if sites < 1000 else 1
        for protocol in args.protocols.split(","):
            times: dict[str, list[float]] = {name: [] for name in PACKS}
            starts = []
            for _ in range(repeats):
                for name, pack in PACKS.items():  # interleaved: the machine's noise hits all
                    start, took, mandatory = time_pack(pack, protocol, capture)
                    assert mandatory == 0, f"{name}: {mandatory} mandatory violations"
                    times[name].append(took)
                    starts.append(start)
            m = {name: statistics.median(values) for name, values in times.items()}
            print(
                f"| {sites} | {len(capture.resources)} | {protocol} "
                f"| {statistics.median(starts):.2f} "
                f"| {m['empty']:.2f} | {m['noop-22']:.2f} | {m['site-vpn']:.2f} "
                f"| {m['site-vpn'] / m['empty']:.2f}x | {m['site-vpn'] / m['noop-22']:.2f}x |"
            )
    print(f"\noverlap sweep over 10,000 CIDRs: {sweep_10k():.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
