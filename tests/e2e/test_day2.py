"""Day 2 through the real engine: changes to a live stack, one tunnel at a time, and Pulumi's
state never claims what Neutron does not hold.

One deployment (dev, active-active) with the customer device up and a monitor sampling, every
0.3 s, which of the device's CHILD_SAs are installed and whether a ping crosses from the VPC to
the on-premises host. Each change is the stack file edited and ``pulumi up`` with the engine's
event log; asserted per change: the engine's steps and their order, Neutron's final state, no
moment with neither tunnel of the pair established, and a following preview with no changes.
The figures go to the terminal summary and ``docs/day2.md``.
"""

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from sitevpn.device_steps import parse as parse_swanctl
from sitevpn.device_steps import steps
from tests.cloud.client import Session
from tests.cloud.fixture import INTERNET_NET
from tests.conftest import ROOT
from tests.e2e.conftest import PSK, attach, bring_up, e2e_values, record
from tests.engine import CLI, PACK, end_session, program_folder

pytestmark = pytest.mark.day2

PREVIOUS_RELEASE = "c45f7a3"
"""The last release users deployed (the commit of the last landed submission): the day-2 stack
is first deployed by it, and upgrading to this checkout must change no resource. Bump it with
each release."""

# The lab's agent reports statuses every 5 s (ipsec_status_check_interval).
ROLLOUT = {"timeoutSeconds": 240, "settleSeconds": 10}
CHILDREN = ("dc1-conn1", "dc1-conn2")
TABLE: list[tuple[str, str, str, str]] = []
ROTATED_PSK = "N3w-Secret_PSK+rotated/2027"
THIRD_PSK = "Th1rd-Secret_PSK+rotated/2028"


class Background:
    """A loop in a thread for the length of a ``with`` block; an exception in it fails the
    test at the block's end (a dead thread must not look like a quiet one)."""

    def __enter__(self):
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._guarded, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        if self._error is not None and exc[0] is None:
            raise AssertionError(f"{type(self).__name__} failed") from self._error

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as error:
            self._error = error

    def _run(self) -> None:
        raise NotImplementedError


@dataclass
class Monitor(Background):
    """Samples the customer device's CHILD_SAs and a VPC -> on-prem ping in a thread."""

    lab: object
    samples: list[tuple[float, frozenset[str], bool]] = field(default_factory=list)
    spis: dict[str, set[str]] = field(default_factory=dict)
    """tunnel -> outbound SPIs seen (a new one: the tunnel was negotiated again)."""

    def _run(self) -> None:
        while not self._stop.is_set():
            children = {n: sa for n, sa in self.lab.child_sas().items() if n in CHILDREN}
            for name, sa in children.items():
                self.spis.setdefault(name, set()).add(sa.spi_out)
            ping = self.lab.ping("vpc", wait=0.3)
            self.samples.append((time.monotonic(), frozenset(children), ping))
            time.sleep(0.3)

    def negotiations(self) -> dict[str, int]:
        """Per tunnel, how many times it was negotiated again while sampling (rekeys too)."""
        return {c: len(self.spis.get(c, ())) - 1 for c in CHILDREN}

    def longest(self, down) -> float:
        """Longest stretch of samples for which ``down(children, ping)`` held."""
        worst, since = 0.0, None
        for t, children, ping in self.samples:
            if down(children, ping):
                since = t if since is None else since
                worst = max(worst, t - since)
            else:
                since = None
        return worst

    def gaps(self) -> dict[str, float]:
        """Per tunnel, for the pair (neither tunnel), and for traffic on the VPC's route."""
        out = {c: self.longest(lambda ch, _, c=c: c not in ch) for c in CHILDREN}
        out["pair"] = self.longest(lambda ch, _: not ch)
        out["ping"] = self.longest(lambda _, ping: not ping)
        return out


def set_values(stack, values: dict) -> None:
    """Rewrite the stack file's site-vpn settings, keeping the secret PSK and its salt."""
    path = stack.workdir / "stacks" / f"Pulumi.{stack.name}.yaml"
    doc = yaml.safe_load(path.read_text())
    config = {k: v for k, v in doc["config"].items() if not k.startswith("site-vpn:")}
    if "site-vpn:psk" in doc["config"]:
        config["site-vpn:psk"] = doc["config"]["site-vpn:psk"]
    config.update({f"site-vpn:{k}": v for k, v in values.items()})
    doc["config"] = config
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@dataclass
class Run:
    """One ``pulumi up`` with its event log."""

    returncode: int
    output: str
    events: list[dict]
    seconds: float

    def failure(self) -> str:
        """For a failure message, what a long output would push out of view first: the
        engine's error and warning diagnostics, then the output's tail."""
        said = [
            f"{d['severity']}: {d['message'].strip()}"
            for d in (e["diagnosticEvent"] for e in self.events if "diagnosticEvent" in e)
            if d.get("severity") in ("error", "warning")
        ]
        return "\n".join(["diagnostics:", *said, "--- output, last lines:", self.output[-4000:]])

    def steps(self) -> list[tuple[str, str, str, int]]:
        """(phase, op, resource name, timestamp) in engine order; refresh and same left out."""
        out = []
        for e in self.events:
            for kind, phase in (
                ("resourcePreEvent", "pre"),
                ("resOutputsEvent", "done"),
                ("resOpFailedEvent", "failed"),
            ):
                if kind in e:
                    meta = e[kind]["metadata"]
                    if meta["op"] not in ("same", "refresh", "read"):
                        name = meta["urn"].rsplit("::", 1)[-1]
                        out.append((phase, meta["op"], name, e.get("timestamp", 0)))
        return out

    def ops(self) -> list[tuple[str, str]]:
        """(op, URN) of every step the engine took, refresh and same left out."""
        return [
            (e["resourcePreEvent"]["metadata"]["op"], e["resourcePreEvent"]["metadata"]["urn"])
            for e in self.events
            if "resourcePreEvent" in e
            and e["resourcePreEvent"]["metadata"]["op"] not in ("same", "refresh", "read")
        ]

    def index(self, phase: str, op: str, name: str) -> int:
        """Position of a step (ValueError when the engine did not take it)."""
        for i, (p, o, n, _) in enumerate(self.steps()):
            if (p, o, n) == (phase, op, name):
                return i
        raise ValueError(f"no {phase} {op} of {name} in {self.steps()}")

    def at(self, phase: str, op: str, name: str) -> int:
        """Timestamp (s) of a step."""
        return self.steps()[self.index(phase, op, name)][3]


def up(stack, log: Path, kill_after=None, timeout: float = 900, extra: tuple = ()) -> Run:
    """``pulumi up`` with ``--event-log`` (and ``extra`` arguments); with
    ``kill_after(events)``, SIGKILL the CLI as soon as that returns true (an update interrupted
    half-way)."""
    log.unlink(missing_ok=True)
    started = time.monotonic()
    argv = [str(CLI), "up", "--yes", "--non-interactive", "--skip-preview", "--stack", stack.name]
    argv += list(extra)
    proc = subprocess.Popen(
        [*argv, "--event-log", str(log)],
        cwd=stack.workdir,
        # --event-log (what the Automation API reads) is offered with debug commands on
        env=dict(stack.env) | {"PULUMI_DEBUG_COMMANDS": "true"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        if kill_after is not None:
            while proc.poll() is None and time.monotonic() - started < timeout:
                if kill_after(read_events(log)):
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.2)
        out, _ = proc.communicate(timeout=timeout)
    finally:
        end_session(proc.pid)
    return Run(proc.returncode, out, read_events(log), time.monotonic() - started)


def read_events(log: Path) -> list[dict]:
    """The engine's events written so far (a line being written is left for later)."""
    if not log.exists():
        return []
    events = []
    for line in log.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return events


def shown(secret: str, run: Run) -> bool:
    """Whether a secret appears in what the CLI printed or in the engine's events, except the
    provider's own debug-severity log (terraform-provider-openstack writes the connections it
    creates, reads and updates there, PSK included: shown with --debug or to an Automation API
    event consumer, never by a plain `pulumi up`; see the README)."""
    events = [e for e in run.events if e.get("diagnosticEvent", {}).get("severity") != "debug"]
    return secret in run.output or secret in json.dumps(events)


def pending(stack) -> bool:
    """Whether a preview (which refreshes first: Pulumi.yaml) shows changes."""
    result = stack.preview("--expect-no-changes", check=False)
    return result.returncode != 0


def connections(d) -> list[dict]:
    """Neutron's view of dc1's two connections, by name."""
    found = {c["name"]: c for c in d.session.list("vpn/ipsec-site-connections")}
    return [found[f"site-vpn-dc1-pair-conn{i}"] for i in (1, 2)]


def site_connections(d, site: str) -> list[dict]:
    """Neutron's connections of one site, by connection number."""
    found = d.session.list("vpn/ipsec-site-connections")
    return sorted(
        (c for c in found if c["name"].startswith(f"site-vpn-{site}-")), key=lambda c: c["name"]
    )


def ike_policy(d, connection: dict) -> dict:
    """The IKE policy a connection uses."""
    return d.session.show("vpn/ikepolicies", connection["ikepolicy_id"])


def conflict(output: str) -> bool:
    """Whether Neutron answered 409 or an in-use error such as IKEPolicyInUse (not: '409'
    inside an id, nor the stack output pskInUse)."""
    in_use = re.search(r"\b[A-Z][A-Za-z]*InUse\b", output)
    return in_use is not None or re.search(r"(?<![0-9a-f-])409(?![0-9a-f-])", output) is not None


def load_step(lab, step) -> None:
    """Load one device step and wait until its tunnel negotiated again (a new outbound SPI)."""
    conf = lab.customer_dir / "swanctl" / "swanctl.conf"
    before = lab.child_sas().get(step.connection)
    conf.write_text(step.text)
    lab.swanctl("--load-all", "--file", str(conf))
    deadline = time.monotonic() + 60
    while (now := lab.child_sas().get(step.connection)) is None or (
        before is not None and now.spi_out == before.spi_out
    ):
        assert time.monotonic() < deadline, lab.diagnose()
        time.sleep(0.2)


def device_follows(lab, target: str) -> list[str]:
    """The README's procedure on the customer device: ``site-vpn device-steps`` from the file it
    runs to its new one, each step loaded and its tunnel negotiated again before the next; the
    connections moved, in order."""
    conf = lab.customer_dir / "swanctl" / "swanctl.conf"
    moved = []
    for step in steps(conf.read_text(), target):
        load_step(lab, step)
        moved.append(step.connection)
    return moved


@dataclass
class Follower(Background):
    """The customer's engineer during a ``pulumi up`` that both sides must make (a new customer
    gateway address, an HA switch), the README's procedure: each device step is loaded when
    `pulumi up` says it restarted that connection's VPN service with the new settings (the
    update then waits for the connection to come up, so the device cannot wait for the update;
    loaded earlier, the cloud answers NO_PROPOSAL_CHOSEN and strongSwan does not retry)."""

    lab: object
    log: Path
    target: str
    cloud_changes: set[str]
    """The device's connections whose cloud side `pulumi up` changes; a step of any other
    (a change the cloud does not see, e.g. the active connection's policy priority) is loaded
    at once."""
    moved: list[str] = field(default_factory=list)

    def _run(self) -> None:
        conf = self.lab.customer_dir / "swanctl" / "swanctl.conf"
        todo = steps(conf.read_text(), self.target)
        while todo and not self._stop.is_set():
            if todo[0].connection not in self.cloud_changes:
                load_step(self.lab, todo[0])
                self.moved.append(todo.pop(0).connection)
                continue
            site, key = todo[0].connection.rsplit("-", 1)
            said = (
                e["diagnosticEvent"]["message"]
                for e in read_events(self.log)
                if "diagnosticEvent" in e
            )
            wanted = f"loads its configuration for tunnel {key.removeprefix('conn')} now"
            if any(f"site '{site}'" in m and wanted in m for m in said):
                load_step(self.lab, todo[0])
                self.moved.append(todo.pop(0).connection)
            time.sleep(0.2)


def up_and_recover(stack, log: Path, lab, values: dict) -> tuple[Run, "Monitor"]:
    """The stack file rewritten to ``values`` and ``pulumi up`` under the monitor: the update
    succeeded, the rollout restarted both members' VPN services, and both tunnels are back."""
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
        recovered = lab.wait_for_children(set(CHILDREN), 60)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    assert recovered is not None, lab.diagnose()
    assert len(set(re.findall(r"restarting VPN service (\S+)", run.output))) == 2, run.output
    return run, m


def row(change: str, steps: str, neutron: str, gaps: dict[str, float]) -> None:
    """One line of the traffic-gap table; the pair was never dark."""
    assert gaps["pair"] == 0, (change, gaps)
    gap = (
        f"pair {gaps['pair']:.1f} s; conn1 {gaps['dc1-conn1']:.1f} s, conn2 "
        f"{gaps['dc1-conn2']:.1f} s; ping on the VPC route {gaps['ping']:.1f} s"
    )
    TABLE.append((change, steps, neutron, gap))
    print(f"\n{change} | {steps} | {neutron} | {gap}")


def write_table(tmp_path: Path) -> None:
    """The rows so far, as docs/day2.md's table, to $SITE_VPN_DAY2_TABLE (or the test's tmp)."""
    Path(os.environ.get("SITE_VPN_DAY2_TABLE", tmp_path / "day2.md")).write_text(
        "| change | engine steps | Neutron result | longest gap |\n|---|---|---|---|\n"
        + "".join(f"| {' | '.join(r)} |\n" for r in TABLE)
    )


def release_tree(commit: str, dest: Path) -> Path:
    """The site-vpn source tree of ``commit`` (this checkout's history), unpacked in ``dest``."""
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", commit]).returncode:
        pytest.fail(f"release {commit} is not in this clone's history (a shallow clone?)")
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def live_site(cloud, deploy, lab, **options) -> tuple[dict, object]:
    """dev (active-active) deployed with the day-2 rollout (``options`` go to ``deploy``), the
    customer device up and both connections ACTIVE: the values and the deployment."""
    values = e2e_values("dev") | {"rollout": dict(ROLLOUT)}
    d = deploy(values, "dev", **options)
    attach(lab, d, ["dc1"])
    assert bring_up(lab, d, ["dc1"]) is not None, lab.diagnose()
    cloud.wait_for_status(d.connection_ids("dc1"), "ACTIVE", 240)
    return values, d


def test_day2_changes_move_one_tunnel_at_a_time(cloud, deploy, lab, tmp_path):
    release = release_tree(PREVIOUS_RELEASE, tmp_path / "release")
    values, d = live_site(cloud, deploy, lab, release=release)
    stack = d.engine_stack
    log = tmp_path / "events.jsonl"
    pair = "site-vpn-dc1-pair"
    conn1, conn2, ike = f"{pair}-conn1", f"{pair}-conn2", f"{pair}-ike"

    # 0. Upgrade: the stack deployed by the previous release, this release installed (its
    # program and package). Nothing is replaced, re-keyed or even updated: the preview shows
    # no change and `up` takes no step (only new stack outputs appear).
    program_folder(stack.workdir)
    stack.env = {k: v for k, v in stack.env.items() if k != "PYTHONPATH"}
    ids = [c["id"] for c in connections(d)]
    assert not pending(stack), stack.preview("--diff", check=False).output
    with Monitor(lab) as m:
        run = up(stack, log)
    # at most one step: the engine's own provider for the deletion guard's read of the last
    # outputs (registered once, by the first release with the guard)
    builtin = ("create", "pulumi:providers:pulumi::default".split("::"))
    assert run.returncode == 0, run.failure() + lab.diagnose()
    taken = [(op, urn.rsplit("::", 2)[-2:]) for op, urn in run.ops()]
    assert taken in ([], [builtin]), run.ops()
    assert [c["id"] for c in connections(d)] == ids
    row(
        f"site-vpn upgraded ({PREVIOUS_RELEASE} -> this release)",
        "preview --expect-no-changes passes; up: no step on any resource"
        + (
            " (the engine's builtin `pulumi` provider is registered: no cloud object)"
            if taken
            else ""
        ),
        "unchanged (the same connection ids; no update, so no re-key)",
        m.gaps(),
    )

    # 1. Crypto is versioned, not edited: a new IKE policy, connection 1 moved (deleted, then
    # created: never two connections of one peer on one router), connection 2 only once
    # connection 1 carries again, the old policy deleted last. Neutron's 409 is never hit.
    before = connections(d)
    old_policy = before[0]["ikepolicy_id"]
    values["ike"] = {"lifetimeSeconds": 28800}
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
        recovered = lab.wait_for_children(set(CHILDREN), 60)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    # nobody touched the device: the gate restarted each connection's VPN service and the
    # device's own config re-established both tunnels
    assert recovered is not None, lab.diagnose()
    assert m.negotiations()["dc1-conn1"] >= 1 and m.negotiations()["dc1-conn2"] >= 1
    assert "restarting VPN service" in run.output
    assert "re-establish tunnel 1 on the customer device" not in run.output
    assert not conflict(run.output)
    assert not shown(PSK, run)
    i = run.index
    assert i("done", "create-replacement", ike) < i("pre", "delete-replaced", conn1)
    assert i("done", "delete-replaced", conn1) < i("pre", "create-replacement", conn1)
    assert i("done", "create-replacement", conn1) < i("pre", "delete-replaced", conn2)
    assert i("done", "create-replacement", conn2) < i("done", "delete-replaced", ike)
    after = connections(d)
    assert {c["ikepolicy_id"] for c in after} == {after[0]["ikepolicy_id"]} != {old_policy}
    assert ike_policy(d, after[0])["lifetime"] == {"units": "seconds", "value": 28800}
    assert old_policy not in {p["id"] for p in d.session.list("vpn/ikepolicies")}
    assert m.gaps()["pair"] == 0, (m.gaps(), run.steps())
    assert not pending(stack)
    row(
        "IKE lifetime 86400 -> 28800 s",
        "ike: create-replacement; conn1: delete-replaced, create-replacement; (member a's VPN "
        "service restarted: tunnel 1 renegotiated by itself; conn1 ACTIVE); conn2: "
        "delete-replaced, create-replacement (member b's service restarted); old ike: "
        "delete-replaced",
        "both connections on a new IKE policy (28800 s); the old one deleted; no 409; "
        f"tunnels negotiated again: {m.negotiations()}, none by hand; agent syncs asked for a "
        f"connection left pending: {run.output.count('asking the agent to sync its router')}",
        m.gaps(),
    )
    record("day2_crypto_up", run.seconds)

    # 2. Algorithms and DH groups changed, the customer device following one tunnel at a time
    # (the README's procedure): the previous blocks under acceptPrevious, so the device's new
    # configuration accepts both; the device loads it by `site-vpn device-steps` (strongSwan
    # restarts a connection whose proposals changed, so one load per tunnel); `pulumi up`
    # versions the policies and moves the connections; acceptPrevious taken out (`up` changes
    # no resource), and the device loads its final configuration the same way.
    previous = {"ike": dict(values.get("ike", {})), "ipsec": dict(values.get("ipsec", {}))}
    values["ike"] = previous["ike"] | {"dhGroup": "group14", "auth": "sha384"}
    values["ipsec"] = previous["ipsec"] | {"encryption": "aes-128", "pfs": "group14"}
    values["acceptPrevious"] = previous
    set_values(stack, values)
    with Monitor(lab) as m:
        loaded = device_follows(lab, d.customer_config("dc1", values, PSK))
        run = up(stack, log)
        recovered = lab.wait_for_children(set(CHILDREN), 60)
        negotiated = {n: (sa.ike_algorithms, sa.algorithms) for n, sa in lab.child_sas().items()}
        del values["acceptPrevious"]
        set_values(stack, values)
        done = up(stack, log)
        final = d.customer_config("dc1", values, PSK)
        unloaded = device_follows(lab, final)
    assert loaded == unloaded == list(CHILDREN)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    assert recovered is not None, lab.diagnose()
    assert len(set(re.findall(r"restarting VPN service (\S+)", run.output))) == 2, run.output
    assert not conflict(run.output)
    i = run.index
    ipsec = f"{pair}-ipsec"
    assert i("done", "create-replacement", ike) < i("pre", "delete-replaced", conn1)
    assert i("done", "create-replacement", ipsec) < i("pre", "delete-replaced", conn1)
    assert i("done", "create-replacement", conn1) < i("pre", "delete-replaced", conn2)
    # both tunnels run the new suites (the device accepted both, the cloud offers the new)
    for name in CHILDREN:
        ike_suite, esp_suite = negotiated[name]
        assert "HMAC_SHA2_384" in ike_suite and "MODP_2048" in ike_suite, negotiated
        assert esp_suite.startswith("AES_CBC-128/"), negotiated
    after = connections(d)
    policy = ike_policy(d, after[0])
    assert (policy["auth_algorithm"], policy["pfs"]) == ("sha384", "group14")
    esp = d.session.show("vpn/ipsecpolicies", after[0]["ipsecpolicy_id"])
    assert (esp["encryption_algorithm"], esp["pfs"]) == ("aes-128", "group14")
    assert done.returncode == 0, done.output
    assert done.ops() == [], done.ops()  # acceptPrevious reaches the device configs only
    assert "modp3072" not in final and "aes256-sha256" not in final
    assert not shown(PSK, run) and not shown(PSK, done)
    assert not pending(stack)
    row(
        "IKE auth sha256 -> sha384, DH group15 -> group14; IPsec aes-256 -> aes-128, PFS "
        "group15 -> group14 (acceptPrevious; device steps before and after)",
        "device: conn1 then conn2 loaded accepting both suites; up: ike, ipsec: "
        "create-replacement; conn1: delete-replaced, create-replacement (member a's service "
        "restarted); conn2: the same (member b's); old policies: delete-replaced; "
        "acceptPrevious out: up takes no step; device: conn1 then conn2 loaded with the new "
        "suites only",
        "both connections on new IKE and IPsec policies; both tunnels negotiated the new "
        f"suites; tunnels negotiated again: {m.negotiations()}",
        m.gaps(),
    )

    # 3. An on-premises subnet added, then removed, in the cloud: the peer endpoint group is
    # replaced (its CIDRs cannot be updated) new-first, connection 1 moved to the new one and its
    # service restarted so that tunnel 1 negotiates the new selectors, connection 2 once
    # connection 1 carries, the old group deleted last. The device keeps its selectors (the
    # cloud narrows to them): with policy-based tunnels on one device, loading new selectors
    # for one tunnel while the other keeps the old ones was refused (measured: tunnel 1's
    # CHILD_SA failed; docs/day2.md).
    peer = "site-vpn-dc1-cgw-peer"
    original = list(values["sites"][0]["subnets"])
    for change, subnets in (("added", [*original, "172.17.0.0/16"]), ("removed", original)):
        values["sites"][0]["subnets"] = subnets
        run, m = up_and_recover(stack, log, lab, values)
        i = run.index
        assert i("done", "create-replacement", peer) < i("pre", "update", conn1)
        assert i("done", "update", conn1) < i("pre", "update", conn2)
        assert i("done", "update", conn2) < i("done", "delete-replaced", peer)
        groups = {c["peer_ep_group_id"] for c in connections(d)}
        assert len(groups) == 1
        endpoints = d.session.show("vpn/endpoint-groups", groups.pop())["endpoints"]
        assert sorted(endpoints) == sorted(subnets)
        assert not pending(stack)
        row(
            f"on-premises subnet 172.17.0.0/16 {change} (cloud side; the device keeps its "
            "selectors)",
            "peer endpoint group: create-replacement; conn1: update (member a's service "
            "restarted); conn2: update (member b's); old group: delete-replaced",
            f"both connections on a group of {', '.join(subnets)}; tunnels negotiated again: "
            f"{m.negotiations()}",
            m.gaps(),
        )

    # 3b. A VPC subnet added, then removed: the subnet and each member's attachment (a's router
    # interface, b's port) made first, each member's local endpoint group replaced new-first,
    # connection 1 moved and tunnel 1 carrying again before connection 2, then the old groups,
    # the attachments and the subnet deleted. The removal is refused until the stack file
    # acknowledges it (site-vpn:removals.subnets). The device keeps its selectors, as in 3.
    gateway = "site-vpn-gateway"
    made = ["site-vpn-vpc-app", f"{gateway}-a-app-if", f"{gateway}-b-app-port"]
    made.append(f"{gateway}-b-app-if")
    groups = [f"{gateway}-a-local", f"{gateway}-b-local"]
    vpc_subnets = list(values["vpc"]["subnets"])
    app = {"name": "app", "cidr": "10.60.0.0/24"}
    values["vpc"]["subnets"] = [*vpc_subnets, app]
    run, m = up_and_recover(stack, log, lab, values)
    i = run.index
    # each connection waits for its own member's attachment and group only
    for name in made:
        conn = conn1 if "-a-" in name or "-vpc-" in name else conn2
        assert i("done", "create", name) < i("pre", "update", conn), name
    for name, conn in zip(groups, (conn1, conn2), strict=True):
        assert i("done", "create-replacement", name) < i("pre", "update", conn), name
        assert i("done", "update", conn2) < i("done", "delete-replaced", name), name
    assert i("done", "update", conn1) < i("pre", "update", conn2)
    app_id = next(s["id"] for s in d.session.list("subnets") if s["name"].endswith("-app"))
    local = [d.session.show("vpn/endpoint-groups", c["local_ep_group_id"]) for c in connections(d)]
    assert all(app_id in g["endpoints"] and len(g["endpoints"]) == 2 for g in local), local
    assert not pending(stack)
    row(
        f"VPC subnet {app['cidr']} added (cloud side; the device keeps its selectors)",
        "subnet, a's router interface, a's local endpoint group: create(-replacement); conn1: "
        "update (member a's service restarted); b's port, interface and group the same before "
        "conn2: update (member b's service restarted); old groups: delete-replaced",
        "both members' local groups hold both subnets; tunnels negotiated again: "
        f"{m.negotiations()}",
        m.gaps(),
    )
    values["vpc"]["subnets"] = vpc_subnets
    set_values(stack, values)
    refused = up(stack, log)
    assert refused.returncode != 0 and refused.ops() == [], refused.ops()
    assert "VPC subnet 'app' is deployed" in refused.output, refused.output
    assert "site-vpn:removals.subnets" in refused.output
    values["removals"] = {"subnets": ["app"]}
    run, m = up_and_recover(stack, log, lab, values)
    i = run.index
    for name, conn in zip(groups, (conn1, conn2), strict=True):
        assert i("done", "create-replacement", name) < i("pre", "update", conn), name
    for name in made:
        assert i("done", "update", conn2) < i("done", "delete", name), name
    assert app_id not in {s["id"] for s in d.session.list("subnets")}
    local = [d.session.show("vpn/endpoint-groups", c["local_ep_group_id"]) for c in connections(d)]
    assert all(len(g["endpoints"]) == 1 for g in local), local
    del values["removals"]
    set_values(stack, values)
    assert not pending(stack)
    row(
        f"VPC subnet {app['cidr']} removed (first without, then with removals.subnets: [app])",
        "without: up refused before any step, naming the subnet and the key; with: "
        "local endpoint groups: create-replacement; conn1: update (member a's service "
        "restarted); conn2: update (member b's); old groups, attachments, subnet: delete",
        f"the subnet deleted; both local groups back to one subnet; tunnels negotiated again: "
        f"{m.negotiations()}",
        m.gaps(),
    )

    # 3c. The customer gateway's address changed, and the HA mode switched, the device following
    # each connection as the engine updates it (it holds the old and the new addresses while
    # the change runs): active-active X -> Y (both connections, one at a time); to
    # active/standby [Y, Z] (connection 2 only: its peer and initiator); active/standby [Y, Z]
    # -> [X, Z] (connection 1 only); back to active-active [X] (connection 2 only).
    gateway_x = values["sites"][0]["customerGateway"]["addresses"][0]
    gateway_y, gateway_z = str(INTERNET_NET[60]), str(INTERNET_NET[61])
    for address in (gateway_y, gateway_z):
        lab.address("add", address)
    for mode, addresses, changed, change in (
        (
            "active-active",
            [gateway_y],
            [conn1, conn2],
            f"customer gateway {gateway_x} -> {gateway_y} (active-active)",
        ),
        (
            "active-standby",
            [gateway_y, gateway_z],
            [conn2],
            f"HA mode active-active -> active/standby (customer gateways {gateway_y}, {gateway_z})",
        ),
        (
            "active-standby",
            [gateway_x, gateway_z],
            [conn1],
            f"customer gateway {gateway_y} -> {gateway_x} (active/standby, the active one)",
        ),
        (
            "active-active",
            [gateway_x],
            [conn2],
            f"HA mode active/standby -> active-active (customer gateway {gateway_x})",
        ),
    ):
        values["gateway"]["haMode"] = mode
        values["sites"][0]["customerGateway"]["addresses"] = addresses
        set_values(stack, values)
        target = d.customer_config("dc1", values, PSK)
        log.unlink(missing_ok=True)  # the follower must not read the last run's events
        device = [f"dc1-{c.rsplit('-', 1)[1]}" for c in changed]
        conf = lab.customer_dir / "swanctl" / "swanctl.conf"
        expected = [step.connection for step in steps(conf.read_text(), target)]
        with Monitor(lab) as m:
            with Follower(lab, log, target, set(device)) as follower:
                run = up(stack, log)
                deadline = time.monotonic() + 90
                while len(follower.moved) < len(expected) and time.monotonic() < deadline:
                    time.sleep(0.2)
            recovered = lab.wait_for_children(set(CHILDREN), 60)
        assert run.returncode == 0, run.failure() + lab.diagnose()
        assert follower.moved == expected and set(device) <= set(expected), follower.moved
        assert recovered is not None, lab.diagnose()
        updated = [
            name
            for op, name in ((o, u.rsplit("::", 1)[1]) for o, u in run.ops())
            if op == "update" and name in (conn1, conn2)
        ]
        assert updated == changed, run.ops()
        assert all(op == "update" for op, _ in run.ops()), run.ops()
        after = connections(d)
        peers = addresses if mode == "active-standby" else addresses * 2
        assert [c["peer_address"] for c in after] == peers
        assert [c["initiator"] for c in after] == (
            ["bi-directional", "response-only"]
            if mode == "active-standby"
            else ["bi-directional"] * 2
        )
        assert not pending(stack)
        row(
            change,
            "".join(
                f"device: {c.rsplit('-', 1)[1]} loaded first (priority only); "
                for c in expected
                if c not in device
            )
            + "; ".join(
                f"{c.rsplit('-', 1)[1]}: update ({fields}), its service restarted, the device "
                "loading its step as up says so"
                for c in changed
                for fields in ["peer, initiator" if "HA mode" in change else "peer"]
            )
            + ("; the other connection untouched in the cloud" if len(changed) == 1 else ""),
            f"peers {', '.join(peers)}; initiators {', '.join(c['initiator'] for c in after)}; "
            f"tunnels negotiated again: {m.negotiations()}",
            m.gaps(),
        )
    for address in (gateway_y, gateway_z):
        lab.address("del", address)

    # 4. In-place update (DPD): connection 2 only after connection 1 stayed ACTIVE for the
    # settle window.
    values["dpd"] = {"action": "restart", "intervalSeconds": 3, "timeoutSeconds": 9}
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
        time.sleep(3)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    assert run.at("pre", "update", conn2) - run.at("done", "update", conn1) >= (
        ROLLOUT["settleSeconds"] - 1
    )
    # nothing negotiated changed: no service restarted
    assert "restarting VPN service" not in run.output
    assert [c["dpd"] for c in connections(d)] == [
        {"action": "restart", "interval": 3, "timeout": 9}
    ] * 2
    assert not pending(stack)
    row(
        "DPD 2/6 -> 3/9 s",
        f"conn1: update; ({ROLLOUT['settleSeconds']} s ACTIVE); conn2: update",
        "both connections updated in place",
        m.gaps(),
    )
    record("day2_dpd_up", run.seconds)

    # 5. A refused update: Neutron cannot resolve the new peer address (400). The update stops
    # at connection 1, connection 2 untouched, and the next preview still shows the change.
    good = values["sites"][0]["customerGateway"]["addresses"]
    values["sites"][0]["customerGateway"]["addresses"] = ["dc1-vpn.invalid"]
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
    assert run.returncode != 0
    assert ("failed", "update", conn1, run.at("failed", "update", conn1)) in run.steps()
    assert not any(n == conn2 for _, _, n, _ in run.steps())
    assert [c["peer_address"] for c in connections(d)] == good * 2
    assert pending(stack), "after a refused update the preview must still show it"
    # the control: the same preview without the refresh Pulumi.yaml asks for
    unrefreshed = stack.preview("--refresh=false", "--expect-no-changes", check=False)
    without = "says no changes" if unrefreshed.returncode == 0 else "also shows the update"
    values["sites"][0]["customerGateway"]["addresses"] = good
    set_values(stack, values)
    assert up(stack, log).returncode == 0
    assert not pending(stack)
    row(
        "refused update (peer address Neutron cannot resolve)",
        "conn1: update failed (400); conn2 untouched; the next preview shows the update pending "
        f"(without the refresh it {without})",
        "unchanged",
        m.gaps(),
    )

    # 6. An update interrupted half-way: the CLI killed while connection 1's change settles.
    values["dpd"] = {"action": "restart", "intervalSeconds": 4, "timeoutSeconds": 12}
    set_values(stack, values)

    def conn1_updated(events: list[dict]) -> bool:
        return any(
            e.get("resOutputsEvent", {}).get("metadata", {}).get("urn", "").endswith(conn1)
            and e["resOutputsEvent"]["metadata"]["op"] == "update"
            for e in events
        )

    with Monitor(lab) as m:
        run = up(stack, log, kill_after=conn1_updated)
        try:
            assert run.returncode != 0
            dpds = [c["dpd"]["interval"] for c in connections(d)]
            assert dpds == [4, 3], dpds  # killed between the two connections
            assert pending(stack), "after an interrupted update the preview must show the rest"
            # the killed CLI left its lock: what a user does after an interrupted update
            locked = up(stack, log)
            assert locked.returncode != 0 and "pulumi cancel" in locked.output
        finally:
            stack.cli("cancel", "--yes", check=False)  # the teardown's destroy needs it too
        again = up(stack, log)
        assert again.returncode == 0, again.output
    assert [c["dpd"]["interval"] for c in connections(d)] == [4, 4]
    assert not pending(stack)
    row(
        "update interrupted (CLI killed after conn1's update)",
        "conn1: update; (killed); `pulumi cancel`; next up: conn2: update",
        "conn1 new, conn2 old until the next up; then both new",
        m.gaps(),
    )

    # 7. A refused replacement: the project's IKE policy quota is full. Nothing is moved; the
    # next preview shows the replacement pending; once the quota allows it, `up` completes.
    admin = Session(cloud.credentials("admin")).login()
    used = len(d.session.list("vpn/ikepolicies"))
    project = d.session.project_id
    admin.neutron("PUT", f"/quotas/{project}", {"quota": {"ikepolicy": used}})
    deployed_ike = dict(values["ike"])
    values["ike"] = deployed_ike | {"lifetimeSeconds": 43200}
    set_values(stack, values)
    try:
        with Monitor(lab) as m:
            run = up(stack, log)
        assert run.returncode != 0
        assert ("failed", "create-replacement", ike) in [s[:3] for s in run.steps()]
        assert not any(n in (conn1, conn2) for _, _, n, _ in run.steps())
        assert pending(stack), "after a refused replacement the preview must still show it"
    finally:
        admin.neutron("PUT", f"/quotas/{project}", {"quota": {"ikepolicy": -1}})
    # nothing was half-done: taking the change back leaves nothing to deploy
    assert ike_policy(d, connections(d)[0])["lifetime"]["value"] == 28800
    values["ike"] = deployed_ike
    set_values(stack, values)
    assert not pending(stack)
    row(
        "refused replacement (IKE policy quota full)",
        "ike: create-replacement failed (quota); connections untouched; preview shows it "
        "pending; with the change taken back, nothing to deploy",
        "unchanged",
        m.gaps(),
    )

    # 8. A site renamed, declared in the stack file: every resource kept (aliases), nothing
    # created, replaced or deleted; the connections only get their new Neutron names.
    ids = [c["id"] for c in connections(d)]
    values["sites"][0] |= {"name": "dc9", "renamedFrom": ["dc1"]}
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    assert {op for _, op, _, _ in run.steps()} <= {"update"}, run.steps()
    now = {c["id"]: c for c in d.session.list("vpn/ipsec-site-connections")}
    assert [now[i]["name"] for i in ids] == [f"site-vpn-dc9-pair-conn{i}" for i in (1, 2)]
    assert not pending(stack)
    updated = sorted({n for _, op, n, _ in run.steps() if op == "update"})
    row(
        "site key renamed dc1 -> dc9 (renamedFrom: [dc1])",
        f"update only ({', '.join(updated)}); no create, replace or delete",
        "the same connections (ids), with their new names",
        m.gaps(),
    )
    # 9. A site added: only its own resources are created; the live pair is not touched.
    values["sites"].append(
        {
            "name": "dc2",
            "customerGateway": {"addresses": [str(INTERNET_NET[40])]},
            "subnets": ["172.20.0.0/16"],
            "tunnels": [{"customer": "169.254.72.2/30"}, {"customer": "169.254.73.2/30"}],
        }
    )
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    touched = {(op, n) for _, op, n, _ in run.steps()}
    assert touched and all(op == "create" and "-dc2-" in n for op, n in touched), touched
    assert len(site_connections(d, "dc2")) == 2
    assert not pending(stack)
    row(
        "site dc2 added",
        f"create only ({len(touched)} resources of dc2); nothing else touched",
        "dc2's two connections created (its device absent: DOWN); dc9's unchanged",
        m.gaps(),
    )

    # Sites reordered in the file: nothing to deploy (every resource is keyed by its site).
    values["sites"].reverse()
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
    assert run.returncode == 0 and run.steps() == [], run.steps()
    values["sites"].reverse()
    set_values(stack, values)
    row("sites reordered (dc2 before dc9)", "none", "unchanged", m.gaps())

    # Members reordered: the first member of a created VPC holds the subnets' gateway IP, so
    # the swap would fail half-way (a second router port on one subnet): refused before any step.
    values["gateway"]["members"].reverse()
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
    assert run.returncode != 0
    assert "gateway member 'b' is deployed with attach 'port'" in run.output, run.output
    assert run.steps() == [], run.steps()
    values["gateway"]["members"].reverse()
    set_values(stack, values)
    assert not pending(stack)
    row(
        "gateway members reordered (b before a)",
        "refused before any step: member b would move from attach 'port' to 'interface'",
        "unchanged",
        m.gaps(),
    )

    # 10. A site removed: refused until the stack file acknowledges it, then only its resources
    # are deleted; the acknowledgement left behind only warns.
    values["sites"].pop()
    set_values(stack, values)
    refused = stack.preview(check=False)
    assert refused.returncode != 0
    assert "site 'dc2' is deployed but no longer in site-vpn:sites" in refused.output
    with Monitor(lab) as m:
        run = up(stack, log)
    assert run.returncode != 0
    assert "site 'dc2' is deployed but no longer in site-vpn:sites" in run.output, run.output
    assert run.steps() == [], run.steps()
    assert len(site_connections(d, "dc2")) == 2
    values["removals"] = {"sites": ["dc2"]}
    set_values(stack, values)
    with Monitor(lab) as m2:
        run = up(stack, log)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    touched = {(op, n) for _, op, n, _ in run.steps()}
    assert touched and all(op == "delete" and "-dc2-" in n for op, n in touched), touched
    assert site_connections(d, "dc2") == []
    left = stack.preview("--expect-no-changes", check=False)
    assert left.returncode == 0 and "removals.sites: dc2 is not deployed" in left.output
    del values["removals"]
    set_values(stack, values)
    both = {k: max(m.gaps()[k], m2.gaps()[k]) for k in m.gaps()}
    row(
        "site dc2 removed (first without, then with removals.sites: [dc2])",
        "without: preview and up refused before any step, naming the site and the key; with: "
        f"delete only ({len(touched)} resources of dc2); left in the file: a warning",
        "dc2's connections deleted; dc9's unchanged",
        both,
    )

    # 11. MTU: an in-place update, one connection at a time like DPD.
    values["mtu"] = 1400
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log)
        time.sleep(3)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    first, second = (f"site-vpn-dc9-pair-conn{i}" for i in (1, 2))
    assert run.at("pre", "update", second) - run.at("done", "update", first) >= (
        ROLLOUT["settleSeconds"] - 1
    )
    assert [c["mtu"] for c in site_connections(d, "dc9")] == [1400, 1400]
    assert "restarting VPN service" not in run.output
    assert not pending(stack)
    row(
        "MTU 1500 -> 1400",
        f"conn1: update; ({ROLLOUT['settleSeconds']} s ACTIVE); conn2: update",
        "both connections updated in place",
        m.gaps(),
    )
    # 12. The configured PSK rotated, as the README's procedure says: the device first loads
    # its new secrets (its established SAs keep running), then `pulumi up` moves connection 1,
    # restarts member a's service so that tunnel 1 authenticates with the new PSK at once, and
    # touches connection 2 only once connection 1 carries with it.
    conf = lab.customer_dir / "swanctl" / "swanctl.conf"
    conf.write_text(conf.read_text().replace(f'"{PSK}"', f'"{ROTATED_PSK}"'))
    lab.swanctl("--load-creds", "--file", str(conf))
    stack.set_secret("psk", ROTATED_PSK)
    with Monitor(lab) as m:
        run = up(stack, log)
        recovered = lab.wait_for_children(set(CHILDREN), 60)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    assert recovered is not None, lab.diagnose()
    assert len(set(re.findall(r"restarting VPN service (\S+)", run.output))) == 2, run.output
    assert run.index("done", "update", first) < run.index("pre", "update", second)
    assert all(c["psk"] == ROTATED_PSK for c in site_connections(d, "dc9"))
    for secret in (PSK, ROTATED_PSK):
        assert not shown(secret, run)
    assert not pending(stack)
    row(
        "configured PSK rotated (device loads the new secret first)",
        "conn1: update (psk); member a's service restarted: tunnel 1 authenticates with the new "
        "PSK; conn1 ACTIVE; conn2: update (psk); member b's service restarted",
        f"both connections on the new PSK; tunnels negotiated again: {m.negotiations()}",
        m.gaps(),
    )
    # 13. The PSK rotated again, but the device was not given it: tunnel 1 cannot authenticate
    # after its service restart, the update stops at the (shortened) timeout and connection 2
    # keeps the old PSK with tunnel 2 carrying. Once the device has the PSK, `up` completes.
    values["rollout"] = {"timeoutSeconds": 45, "settleSeconds": ROLLOUT["settleSeconds"]}
    set_values(stack, values)
    stack.set_secret("psk", THIRD_PSK)
    with Monitor(lab) as m:
        run = up(stack, log)
        assert run.returncode != 0
        assert "connection 1" in run.output and "connection 2 was left as it was" in run.output
        assert not any(n == second for _, _, n, _ in run.steps()), run.steps()
        psks = [c["psk"] for c in site_connections(d, "dc9")]
        assert [p == THIRD_PSK for p in psks] == [True, False]
        assert pending(stack), "the stopped rotation must still show connection 2's change"
        # the operator gives the device the PSK and brings tunnel 1 up (after AUTH_FAILED
        # neither side tries again by itself); the next `up` moves connection 2
        conf.write_text(conf.read_text().replace(f'"{ROTATED_PSK}"', f'"{THIRD_PSK}"'))
        lab.swanctl("--load-creds", "--file", str(conf))
        lab.swanctl("--initiate", "--child", "dc1-conn1", "--timeout", "10", check=False)
        cloud.wait_for_status([site_connections(d, "dc9")[0]["id"]], "ACTIVE", 60)
        again = up(stack, log)
        recovered = lab.wait_for_children(set(CHILDREN), 60)
    assert again.returncode == 0, again.output
    assert recovered is not None, lab.diagnose()
    assert all(c["psk"] == THIRD_PSK for c in site_connections(d, "dc9"))
    for secret in (ROTATED_PSK, THIRD_PSK):
        assert not shown(secret, run) and not shown(secret, again)
    values["rollout"] = dict(ROLLOUT)
    set_values(stack, values)
    row(
        "PSK rotated without giving it to the device, then given",
        "conn1: update (psk); member a's service restarted; tunnel 1 cannot authenticate; "
        "stopped after 45 s, conn2 untouched; device given the PSK, tunnel 1 initiated on it; "
        "next up: conn2: update, member b's service restarted",
        "conn1 new, conn2 old (tunnel 2 carrying) until the device had the PSK; then both new",
        m.gaps(),
    )
    write_table(tmp_path)


def test_generated_psk_rotates_one_tunnel_at_a_time(cloud, deploy, lab, tmp_path):
    """The README's procedure for generated PSKs: ``pskRotation.prepare`` makes the next
    generation (the device configs carry it; no connection changes), the device loads its new
    secrets (its SAs keep running), then ``generation: 2`` moves connection 1, restarts its
    service (tunnel 1 authenticates with the new PSK), and connection 2 once connection 1
    carries; the old generation is deleted last."""
    values, d = live_site(cloud, deploy, lab, psk=None)
    stack = d.engine_stack
    log = tmp_path / "events.jsonl"
    pair = "site-vpn-dc1-pair"
    first = [c["psk"] for c in connections(d)]
    assert first[0] == first[1] and f'"{first[0]}"' in d.device_config("dc1")

    values["pskRotation"] = {"prepare": True}
    set_values(stack, values)
    prepared = up(stack, log)
    assert prepared.returncode == 0, prepared.output
    assert [(op, urn.rsplit("::", 1)[1]) for op, urn in prepared.ops()] == [
        ("create", f"{pair}-psk-2")
    ], prepared.ops()
    assert [c["psk"] for c in connections(d)] == first
    device = stack.state().stack_outputs["deviceConfigs"]["dc1"]
    [new] = set(re.findall(r'secret = "([^"]+)"', device))
    assert new != first[0]
    conf = lab.customer_dir / "swanctl" / "swanctl.conf"
    conf.write_text(device)
    lab.swanctl("--load-creds", "--file", str(conf))

    values["pskRotation"] = {"generation": 2}
    run, m = up_and_recover(stack, log, lab, values)
    i = run.index
    assert i("done", "update", f"{pair}-conn1") < i("pre", "update", f"{pair}-conn2")
    assert i("done", "update", f"{pair}-conn2") < i("done", "delete", f"{pair}-psk")
    assert [c["psk"] for c in connections(d)] == [new, new]
    assert m.negotiations()["dc1-conn1"] >= 1 and m.negotiations()["dc1-conn2"] >= 1
    for secret in (first[0], new):
        assert not shown(secret, prepared) and not shown(secret, run)
    assert not pending(stack)
    row(
        "generated PSK rotated (pskRotation: prepare, device loads its new secrets, then "
        "generation 2)",
        "prepare: create psk-2 only; then conn1: update (psk; member a's service restarted: "
        "tunnel 1 authenticates with the new PSK); conn2: update (psk; member b's); psk "
        "(generation 1): delete",
        f"both connections on generation 2; tunnels negotiated again: {m.negotiations()}",
        m.gaps(),
    )

    # A key per connection. Set directly, it is refused before any step (the devices hold
    # generation 2's one key a pair). The procedure: generation 3 prepared per connection (the
    # devices load it), then generation 3 with pskScope: connection moves conn1, then conn2,
    # under `pulumi up --policy-pack` (the pack accepts the pair's two keys as declared).
    values["pskScope"] = "connection"
    set_values(stack, values)
    refused = up(stack, log)
    assert refused.returncode != 0 and not refused.ops(), refused.ops()
    assert "a scope changes with a new generation" in refused.output, refused.output
    values["pskScope"] = "pair"
    values["pskRotation"] = {"generation": 2, "prepare": True, "scope": "connection"}
    set_values(stack, values)
    prepared = up(stack, log)
    assert prepared.returncode == 0, prepared.output
    assert sorted(urn.rsplit("::", 1)[1] for _, urn in prepared.ops()) == [
        f"{pair}-conn2-psk-3",
        f"{pair}-psk-3",
    ], prepared.ops()
    device = stack.state().stack_outputs["deviceConfigs"]["dc1"]
    own = [
        re.search(r'secret = "([^"]+)"', parse_swanctl(device).secrets[f"ike-{c}"])[1]
        for c in CHILDREN
    ]
    assert len({new, *own}) == 3, "generation 3: a new key for each connection"
    conf.write_text(device)
    lab.swanctl("--load-creds", "--file", str(conf))
    values["pskScope"] = "connection"
    values["pskRotation"] = {"generation": 3}
    # the lab's customer device sits on a documentation address, which the pack refuses
    lab_addresses = tmp_path / "pack-config.json"
    lab_addresses.write_text(
        json.dumps({"vpn-site-connection-enforce-public-peer-address": "disabled"})
    )
    pack = ("--policy-pack", str(PACK), "--policy-pack-config", str(lab_addresses))
    set_values(stack, values)
    with Monitor(lab) as m:
        run = up(stack, log, extra=pack)
        recovered = lab.wait_for_children(set(CHILDREN), 60)
    assert run.returncode == 0, run.failure() + lab.diagnose()
    assert recovered is not None, lab.diagnose()
    assert "vpn-connection-pair-enforce-shared-crypto" not in run.output, run.output
    i = run.index
    assert i("done", "update", f"{pair}-conn1") < i("pre", "update", f"{pair}-conn2")
    assert i("done", "update", f"{pair}-conn2") < i("done", "delete", f"{pair}-psk-2")
    assert [c["psk"] for c in connections(d)] == own
    assert not any(shown(secret, run) or shown(secret, prepared) for secret in own)
    assert not pending(stack)
    row(
        "a key per connection (pskScope: connection, as a rotation: generation 3 prepared per "
        "connection, the device loads it, then generation 3)",
        "set directly: refused before any step; prepare: create psk-3, conn2-psk-3 only; then "
        "conn1: update (psk; member a's service restarted); conn2: update (psk; member b's); "
        "psk-2: delete; policy pack loaded: passes",
        f"conn1 and conn2 on keys of their own; tunnels negotiated again: {m.negotiations()}",
        m.gaps(),
    )
    write_table(tmp_path)
