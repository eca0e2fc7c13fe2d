"""The test suite's OpenStack: tests/cloud/services.py started once per session in a PID
namespace of its own, the lab's fabric (a network namespace with a Linux bridge per Neutron
network, the external network's gateway and a "customer internet"), the external network the
EIPs come from, and sessions for the project's member and admin.

    customer ns ──┐                                 ┌── qg- of each router (qrouter-* ns)
                  brinet 203.0.113.1 ── fabric ns ── br<public> 198.51.100.1
    vpc host ns ──── br<vpc network> ───────────────┴── qr- of each router

Everything it starts ends with it: the services die with their PID namespace (also when the
test process is killed: the namespace's init gets SIGTERM when its parent dies), the router
namespaces live in the services' own mount namespace, and the fabric namespace is deleted at
the end (and any stale one from an interrupted run at the start).
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from netaddr import IPNetwork

from tests.cloud.client import CloudError, Credentials, Session

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
EXTERNAL_NET = IPNetwork("198.51.100.0/24")
INTERNET_NET = IPNetwork("203.0.113.0/24")
FABRIC_PREFIX = "svfab"


def run(*cmd: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    """A command with text output; raises with its stderr when it fails and check is set."""
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def bridge_name(network_id: str) -> str:
    """The fabric bridge of a Neutron network (as tests/cloud/agent/lab_interface_driver.py)."""
    return f"br{network_id[:11]}"


def cache_dir() -> Path:
    """Where installs are cached across runs."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "site-vpn"


def venv() -> Path:
    """The cloud's virtual environment, named by the hash of its pinned requirements."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return cache_dir() / f"cloud-{digest}"


def install() -> float:
    """Install the cloud venv once (seconds spent; 0 when cached)."""
    target = venv()
    if (target / ".installed").exists():
        return 0.0
    started = time.monotonic()
    run(sys.executable, "-m", "venv", "--clear", str(target))
    run(str(target / "bin" / "pip"), "install", "--quiet", "--upgrade", "pip", timeout=600)
    result = subprocess.run(
        [str(target / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"installing the cloud failed:\n{result.stderr[-3000:]}")
    (target / ".installed").write_text("ok\n")
    return time.monotonic() - started


def missing_prerequisites() -> list[str]:
    """What this machine lacks to run the cloud (empty when nothing)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network and PID namespaces)")
    for tool in ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/sbin/ipsec", "/usr/sbin/iptables"):
        if not os.path.exists(tool):
            missing.append(f"{tool} (run .ci/system-deps.sh)")
    return missing


@contextmanager
def benchmark_cloud(workdir: Path) -> Iterator["Cloud"]:
    """For a benchmark: the running cloud ``SITE_VPN_CLOUD`` names, or one started in
    ``workdir`` for the duration (and ended after)."""
    attached = os.environ.get("SITE_VPN_CLOUD")
    cloud = Cloud.attach(Path(attached)) if attached else Cloud(workdir / "cloud")
    try:
        if not attached:
            cloud.start()
            print(f"cloud started in {cloud.figures['start_seconds']:.1f} s")
        yield cloud
    finally:
        cloud.stop()


@dataclass
class Cloud:
    """A running cloud and the lab's fabric around it."""

    state: Path
    fabric: str = ""
    ready: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    member: Session | None = None
    admin: Session | None = None
    external_network_id: str = ""
    figures: dict[str, float] = field(default_factory=dict)
    attached_pid: int = 0

    # --- lifecycle -----------------------------------------------------------------------
    def start(self, timeout: float = 240) -> "Cloud":
        """Install (cached), clean up after an interrupted run, start everything, wait."""
        self.figures["install_seconds"] = round(install(), 1)
        started = time.monotonic()
        self._remove_stale()
        self.fabric = f"{FABRIC_PREFIX}{os.getpid()}"
        self._make_fabric()
        self.state.mkdir(parents=True, exist_ok=True)
        log = open(self.state / "supervisor.log", "wb")
        # setpriv: unshare is killed when this process dies, however it dies, and then the
        # namespace's init gets SIGTERM (--kill-child); unshare itself ignores SIGTERM.
        # --propagation slave: the fabric (made here) is visible inside; the routers'
        # namespaces (made inside) are not left behind outside.
        self.process = subprocess.Popen(
            [
                "setpriv",
                "--pdeathsig",
                "KILL",
                "--",
                "unshare",
                "--pid",
                "--fork",
                "--kill-child=TERM",
                "--mount-proc",
                "--propagation",
                "slave",
                str(venv() / "bin" / "python"),
                str(HERE / "services.py"),
                str(self.state),
                self.fabric,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ready = self.state / "ready.json"
        while not ready.exists():
            failed = self.state / "failed"
            if failed.exists() or self.process.poll() is not None:
                reason = failed.read_text() if failed.exists() else "the supervisor exited"
                raise RuntimeError(f"the cloud did not start: {reason.strip()}\n{self.logs()}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"the cloud did not start within {timeout:.0f} s\n{self.logs()}")
            time.sleep(0.3)
        self.ready = json.loads(ready.read_text())
        self.figures |= {f"{k}_seconds": v for k, v in self.ready["figures"].items()}
        self.admin = Session(self.credentials("admin")).login()
        self.member = Session(self.credentials("member")).login()
        self._external_network()
        self._wait_for_agent()
        self.figures["start_seconds"] = round(time.monotonic() - started, 1)
        (self.state / "lab.json").write_text(
            json.dumps(
                {
                    "fabric": self.fabric,
                    "pid": self.process.pid,
                    "external_network_id": self.external_network_id,
                }
            )
        )
        return self

    @classmethod
    def attach(cls, state: Path) -> "Cloud":
        """A cloud another process started and keeps running (a developer's loop:
        ``SITE_VPN_CLOUD=<state dir> pytest tests/e2e``); ``stop()`` leaves it running."""
        lab = json.loads((state / "lab.json").read_text())
        cloud = cls(
            state, fabric=lab["fabric"], ready=json.loads((state / "ready.json").read_text())
        )
        cloud.attached_pid = lab["pid"]
        cloud.external_network_id = lab["external_network_id"]
        cloud.admin = Session(cloud.credentials("admin")).login()
        cloud.member = Session(cloud.credentials("member")).login()
        return cloud

    def stop(self) -> None:
        """End every process and namespace this cloud made."""
        if self.attached_pid:
            return
        routers: list[str] = []
        if self.process is not None and self.process.poll() is None:
            init = int(self._init_pid())
            routers = self._router_namespaces(init)
            os.kill(init, signal.SIGTERM)  # the supervisor stops the services, then exits
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(init, signal.SIGKILL)  # init's death ends everything in the namespace
                self.process.wait(timeout=10)
        if self.fabric:
            run("ip", "netns", "del", self.fabric, check=False)
        # The routers' namespaces died with the services' mount namespace; their mount-point
        # files remain in /run/netns (shared with the host).
        for name in routers:
            path = Path("/run/netns") / name
            if not os.path.ismount(path):
                path.unlink(missing_ok=True)

    def logs(self, tail: int = 1500) -> str:
        """The last lines of every service's log, for failure messages."""
        out = []
        for path in sorted((self.state / "logs").glob("*.log")):
            out.append(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(out)

    def _remove_stale(self) -> None:
        """What a run whose test process was killed left: its fabric and the mount-point files
        of its routers' namespaces (the namespaces and services died with it)."""
        live = False
        for name in run("ip", "netns", "list", check=False).stdout.split():
            if name.startswith(FABRIC_PREFIX):
                pid = name.removeprefix(FABRIC_PREFIX)
                if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
                    run("ip", "netns", "del", name, check=False)
                else:
                    live = True
        netns = Path("/run/netns")
        if not live and netns.exists():  # no other cloud runs here: every qrouter file is stale
            for path in netns.glob("qrouter-*"):
                if not os.path.ismount(path):
                    path.unlink(missing_ok=True)

    @staticmethod
    def _router_namespaces(init: int) -> list[str]:
        listed = run(
            "nsenter", "--target", str(init), "--mount", "--", "ip", "netns", "list", check=False
        ).stdout
        return [line.split()[0] for line in listed.splitlines() if line.startswith("qrouter-")]

    def _make_fabric(self) -> None:
        run("ip", "netns", "add", self.fabric)
        self.fabric_exec("ip", "link", "set", "lo", "up")
        self.fabric_exec("sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.ensure_bridge("brinet")
        self.fabric_exec(
            "ip", "addr", "add", f"{INTERNET_NET[1]}/{INTERNET_NET.prefixlen}", "dev", "brinet"
        )

    def _external_network(self) -> None:
        public = self.admin.create(
            "networks",
            "network",
            {
                "name": "public",
                "router:external": True,
                "provider:network_type": "flat",
                "provider:physical_network": "public",
            },
        )
        self.admin.create(
            "subnets",
            "subnet",
            {
                "network_id": public["id"],
                "name": "public-v4",
                "cidr": str(EXTERNAL_NET),
                "ip_version": 4,
                "gateway_ip": str(EXTERNAL_NET[1]),
                "enable_dhcp": False,
                "allocation_pools": [
                    {"start": str(EXTERNAL_NET[10]), "end": str(EXTERNAL_NET[200])}
                ],
            },
        )
        self.external_network_id = public["id"]
        bridge = self.ensure_bridge(bridge_name(public["id"]))
        self.fabric_exec(
            "ip", "addr", "add", f"{EXTERNAL_NET[1]}/{EXTERNAL_NET.prefixlen}", "dev", bridge
        )

    def _wait_for_agent(self, timeout: float = 120) -> None:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            agents = self.admin.list("agents", "agent_type=L3+agent")
            if agents and all(a["alive"] for a in agents):
                self.figures["agent_alive_seconds"] = round(time.monotonic() - started, 1)
                return
            time.sleep(1)
        raise RuntimeError(f"the L3 agent did not report within {timeout:.0f} s\n{self.logs()}")

    # --- access --------------------------------------------------------------------------
    def credentials(self, user: str) -> Credentials:
        """openrc values of the lab's ``member`` or ``admin``, scoped to the project."""
        return Credentials(
            auth_url=self.ready["keystone"],
            username=user,
            password=self.ready[f"{user}_password"],
            project=self.ready["project"],
            region=self.ready["region"],
        )

    def fabric_exec(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        """A command in the fabric namespace."""
        return run("ip", "netns", "exec", self.fabric, *cmd, check=check)

    def router_exec(self, router_id: str, *cmd: str, check: bool = True):
        """A command in a router's namespace (which lives in the services' mount namespace)."""
        return run(
            "nsenter",
            "--target",
            self._init_pid(),
            "--mount",
            "--",
            "ip",
            "netns",
            "exec",
            f"qrouter-{router_id}",
            *cmd,
            check=check,
        )

    def _init_pid(self) -> str:
        pid = self.attached_pid or self.process.pid
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0]

    def ensure_bridge(self, name: str) -> str:
        """A bridge in the fabric (the agent's driver makes the same ones on demand)."""
        if self.fabric_exec("ip", "link", "show", name, check=False).returncode != 0:
            made = self.fabric_exec("ip", "link", "add", name, "type", "bridge", check=False)
            if made.returncode != 0 and "exists" not in made.stderr:
                raise RuntimeError(made.stderr)
        self.fabric_exec("ip", "link", "set", name, "up")
        return name

    def plug(self, namespace: str, ifname: str, bridge: str, peer: str) -> None:
        """A veth from ``namespace`` (as ``ifname``) onto a fabric bridge (as ``peer``)."""
        run(
            "ip",
            "link",
            "add",
            ifname,
            "netns",
            namespace,
            "type",
            "veth",
            "peer",
            "name",
            peer,
            "netns",
            self.fabric,
        )
        self.fabric_exec("ip", "link", "set", peer, "master", bridge, "up")
        run("ip", "-n", namespace, "link", "set", ifname, "up")

    def router_link(self, port_id: str, up: bool) -> None:
        """Take a router port's fabric end down or up (a failed link of a network node)."""
        self.fabric_exec("ip", "link", "set", f"v{port_id[:11]}", "up" if up else "down")

    # --- the agent's strongSwan ------------------------------------------------------------
    def router_dir(self, router_id: str) -> Path:
        """Where the agent's strongSwan driver keeps a router's config and run files."""
        return self.state / "neutron" / "ipsec" / router_id

    def charon_log(self, router_id: str) -> str:
        """A router's charon log (the operator config area logs to its run directory)."""
        path = self.router_dir(router_id) / "var" / "run" / "charon.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def l3_agent_pids(self) -> set[int]:
        """The L3 agent's processes (its master and workers) in the services' PID namespace."""
        ns = os.readlink(f"/proc/{self._init_pid()}/ns/pid")
        pids = set()
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and b"neutron-l3-agent" in (proc / "cmdline").read_bytes():
                    if os.readlink(proc / "ns" / "pid") == ns:
                        pids.add(int(proc.name))
            except OSError:
                continue
        return pids

    def charon_pids(self, router_id: str) -> list[int]:
        """The charon processes running for a router (one, when the driver did its job),
        found by the router directory neutron-vpn-netns-wrapper mounted over their /etc."""
        ns = os.readlink(f"/proc/{self._init_pid()}/ns/pid")
        pids = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if not (proc / "cmdline").read_bytes().startswith(b"/usr/lib/ipsec/charon"):
                    continue
                if os.readlink(proc / "ns" / "pid") != ns:
                    continue
                if f"/ipsec/{router_id}/etc" in (proc / "mountinfo").read_text():
                    pids.append(int(proc.name))
            except OSError:
                continue
        return pids

    def charon_status(self, router_id: str) -> str:
        """``ipsec status`` as the agent's driver runs it (in charon's own mount namespace,
        where the wrapper bound the router's etc and var/run): what Neutron's status comes from."""
        out = []
        for pid in self.charon_pids(router_id):
            done = run("nsenter", "-t", str(pid), "-m", "-n", "--", "ipsec", "status", check=False)
            out.append(done.stdout + done.stderr)
        return "".join(out) or "(no charon)\n"

    def stop_charon(self, router_id: str) -> None:
        """End a router's charon (and its starter), as neutron-netns-cleanup would."""
        for pid in self.charon_pids(router_id):
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            for target in (parent, pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def wait_for_charon(self, router_id: str, connection_ids: list[str], timeout: float) -> float:
        """Seconds until the agent runs charon for ``router_id`` with every connection in its
        ipsec.conf (RuntimeError with the agent's log after ``timeout``)."""
        started = time.monotonic()
        conf = self.router_dir(router_id) / "etc" / "ipsec.conf"
        while time.monotonic() - started < timeout:
            text = conf.read_text() if conf.exists() else ""
            if all(f"conn {c}" in text for c in connection_ids) and self.charon_pids(router_id):
                return time.monotonic() - started
            time.sleep(0.5)
        agent = (self.state / "logs" / "neutron-l3-agent.log").read_text(errors="replace")
        raise RuntimeError(
            f"no charon for router {router_id} with {connection_ids} after {timeout:.0f} s:\n"
            + agent[-3000:]
        )

    def _nudge(self, router: str, mark: str) -> None:
        """Make the agent sync ``router``: its description changes to ``mark`` and back (each
        update notifies the agent), so the stack that owns the router sees no drift after."""
        try:
            original = self.member.show("routers", router)["description"]
            self.member.neutron("PUT", f"/routers/{router}", {"router": {"description": mark}})
        except CloudError:
            return  # a router busy with another update: the next round tries again
        for _ in range(10):
            try:
                self.member.neutron(
                    "PUT", f"/routers/{router}", {"router": {"description": original}}
                )
                return
            except CloudError:
                time.sleep(1)
        raise AssertionError(f"router {router}'s description not restored after a status nudge")

    def _router_of(self, connection: dict) -> str:
        return self.member.show("vpn/vpnservices", connection["vpnservice_id"])["router_id"]

    def restart_l3_agent(self, timeout: float = 60) -> None:
        """Restart the L3 agent (what an operator does for a stuck agent); charon keeps
        running, and the restarted agent syncs and reports every router from scratch."""
        request = self.state / "restart-neutron-l3-agent"
        request.write_text("")
        deadline = time.monotonic() + timeout
        while request.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the L3 agent was not restarted")
            time.sleep(0.5)

    def wait_for_status(
        self,
        connection_ids: list[str],
        status: str,
        timeout: float,
        nudge_every: float = 45,
        restart_after: float = 100,
    ) -> float:
        """Seconds until Neutron reports every connection in ``status``.

        neutron-vpnaas 28's agent reports a connection's way out of PENDING_CREATE only from a
        sync that runs after its tunnel is up (``updated_pending_status`` is set in
        ``process.update()``): every ``nudge_every`` seconds this touches the routers'
        descriptions, and a router update makes the agent sync. Its reports can also stop for a
        connection altogether (README): when, ``restart_after`` seconds in, every connection
        still waiting is INSTALLED in its router's charon, the agent is restarted once, as an
        operator would (recorded in ``figures['l3_agent_restarts']``).
        """
        started = time.monotonic()
        seen: dict[str, dict] = {}
        routers: dict[str, str] = {}  # connection -> its router (looked up once)
        nudged_at = 0.0
        restarted = False
        while time.monotonic() - started < timeout:
            seen = {c: self.member.show("vpn/ipsec-site-connections", c) for c in connection_ids}
            routers = routers or {c: self._router_of(v) for c, v in seen.items()}
            waiting = [c for c, v in seen.items() if v["status"] != status]
            if not waiting:
                return time.monotonic() - started
            now = time.monotonic() - started
            if not restarted and status == "ACTIVE" and now > restart_after:
                views = "".join(self.charon_status(routers[c]) for c in waiting)
                if all(re.search(rf"{c}\{{\d+\}}:\s+INSTALLED", views) for c in waiting):
                    restarted = True
                    self.figures["l3_agent_restarts"] = self.figures.get("l3_agent_restarts", 0) + 1
                    self.restart_l3_agent()
            if now - nudged_at > nudge_every:
                nudged_at = now
                for router in set(routers.values()):
                    self._nudge(router, f"status refresh {int(now)}")
            time.sleep(1)
        states = {c: v["status"] for c, v in seen.items()}
        views = "".join(
            f"router {r}:\n{self.charon_status(r)}" for r in sorted(set(routers.values()))
        )
        raise AssertionError(
            f"connections not {status} after {timeout:.0f} s: {states}\n"
            f"what the agent's driver sees (ipsec status):\n{views}"
        )
