"""Tunnels through the real cloud: the dev stack (active-active) deployed N times by the real
engine (`pulumi up`) into the suite's OpenStack (tests/cloud) as the project member, the L3
agent's strongSwan on the cloud side and the generated device configuration on the customer
side. Per run: deploy, the agent's charon up, customer start -> both CHILD_SAs, Neutron ACTIVE,
and failover (the carrying member's network node loses its links) until traffic crosses both
ways again. Operator retransmits on both sides:
2 tries from 0.8 s (peer dead after 3.8 s); DPD 2 s / 6 s. Needs root (.ci/system-deps.sh).

    python bench/tunnels.py [--runs 5]      (SITE_VPN_CLOUD=<state dir> reuses a running cloud)
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.cloud.fixture import Cloud, benchmark_cloud
from tests.conftest import PSK
from tests.e2e.conftest import Deployment, attach, bring_up, e2e_values
from tests.e2e.lab import Lab
from tests.e2e.test_interop import grew, member_down, resume_after
from tests.engine import Engine


def one_run(cloud: Cloud, workdir: Path) -> dict[str, float]:
    """The figures of one deployment of the dev stack."""
    values = e2e_values("dev")
    engine = Engine(workdir / "engine", cloud.credentials("member").environ())
    started = time.monotonic()
    deployment, result = Deployment.up(cloud, engine, values, "dev", PSK)
    lab = Lab(workdir, cloud)
    try:
        assert result.returncode == 0, result.output
        figures = {"deploy": time.monotonic() - started}
        deployment.wait_for_cloud_side()
        figures["deploy -> charon in both routers"] = time.monotonic() - started
        attach(lab, deployment, ["dc1"])
        up = bring_up(lab, deployment, ["dc1"])
        assert up is not None, lab.diagnose()
        figures["customer start -> both CHILD_SAs"] = up
        active = cloud.wait_for_status(deployment.connection_ids("dc1"), "ACTIVE", 240)
        figures["both CHILD_SAs -> Neutron ACTIVE"] = active
        (child,) = grew(lab, lambda: lab.ping("vpc", count=3))
        index = 0 if child.endswith("conn1") else 1
        try:
            figures["failover: member down -> traffic both ways"] = resume_after(
                lab, lambda: member_down(cloud, deployment, index)
            )
        finally:
            member_down(cloud, deployment, index, up=True)
        return figures
    finally:
        lab.close()
        deployment.destroy()


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="site-vpn-tunnels-") as workdir:
        base = Path(workdir)
        with benchmark_cloud(base) as cloud:
            runs = [one_run(cloud, base / f"run{i}") for i in range(args.runs)]
    print("| measure (dev stack, active-active, DPD 2 s / 6 s) | runs | median (s) | min | max |")
    print("|---|---:|---:|---:|---:|")
    for label in runs[0]:
        values = [r[label] for r in runs]
        print(
            f"| {label} | {len(values)} | {statistics.median(values):.2f} | {min(values):.2f} "
            f"| {max(values):.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
