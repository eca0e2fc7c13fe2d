"""The customer's side of a test, attached to the suite's cloud (tests/cloud):

    on-prem host ns ── customer gateway ns ── brinet (the cloud's "internet") ── routers' EIPs
    VPC host ns (a Neutron port of the project) ── the VPC network's bridge ── routers' qr- ports

The cloud side is the real L3 agent: neutron-vpnaas's strongSwan driver renders each router's
ipsec.conf/secrets from what Neutron stored and runs one charon per router namespace. The
customer gateway is a charon of ours loading the program's generated swanctl.conf (userspace
kernel-libipsec: this kernel has no ESP). ``close()`` removes every namespace and daemon it made.
"""

import itertools
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from netaddr import IPNetwork

from tests.cloud.fixture import INTERNET_NET, Cloud, bridge_name, run

CHARON = "/usr/lib/ipsec/charon"
PLUGINS = (
    "random nonce openssl aes sha1 sha2 hmac gmp curve25519 pem pkcs1 x509 pubkey kdf "
    "ccm gcm xcbc cmac kernel-libipsec kernel-netlink socket-default vici"
)
_ids = itertools.count()


@dataclass
class ChildSa:
    """One installed CHILD_SA as the customer device lists it."""

    name: str
    spi_out: str
    bytes_in: int
    bytes_out: int
    algorithms: str
    """The negotiated ESP suite, e.g. AES_CBC-256/HMAC_SHA2_256_128/MODP_3072 (the DH group
    shows once a rekey used PFS)."""
    ike_algorithms: str
    """The negotiated suite of the IKE SA carrying it."""


def strongswan_conf(directory: Path) -> str:
    """The customer device's charon settings (what its operator sets).

    IKEv2 has no DPD timeout of its own: a peer is dead when retransmissions give up. Here they
    give up after 3.8 s (0.8 + 1.2 + 1.8), so DPD interval (2 s) + retransmissions stay within
    the 6 s DPD timeout the tests' designs use. The cloud's operator settings are the same
    (tests/cloud/operator-strongswan.conf).
    """
    return f"""charon {{
  load_modular = no
  load = {PLUGINS}
  install_routes = no
  retransmit_tries = 2
  retransmit_timeout = 0.8
  retransmit_base = 1.5
  plugins {{
    vici {{
      socket = unix://{directory}/charon.vici
    }}
  }}
  filelog {{
    lab {{
      path = {directory}/charon.log
      time_format = %T
      # tests read the log while the daemon runs: write every line through
      flush_line = yes
      default = 1
      ike = 2
      ike_name = yes
    }}
  }}
}}
"""


class Lab:
    """Namespaces and the customer's daemon for one test; ``close()`` tears them down."""

    def __init__(self, workdir: Path, cloud: Cloud):
        self.cloud = cloud
        self.id = f"sv{os.getpid() % 10000}{next(_ids)}"
        self.workdir = workdir
        self.namespaces: list[str] = []
        self.daemons: list[subprocess.Popen] = []
        self.ports: list[str] = []
        self.customer_dir = workdir / "customer"
        self.onprem_hosts: list[str] = []
        self.vpc_host = ""

    def ns(self, role: str) -> str:
        """The namespace of a role: customer, onprem, vpc."""
        return f"{self.id}-{role}"

    def _exec(self, role: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", self.ns(role), *cmd, check=check)

    def _namespace(self, role: str) -> None:
        run("ip", "netns", "add", self.ns(role))
        self.namespaces.append(self.ns(role))
        run("ip", "-n", self.ns(role), "link", "set", "lo", "up")

    def build_customer(self, customer_ips: list[str], site_cidrs: list[list[str]]) -> None:
        """The customer gateway on the cloud's internet with an address in every on-premises
        subnet (kernel-libipsec routes each traffic selector from a local address in it), and
        an on-prem host behind it with one address in the first subnet of each site."""
        self._namespace("customer")
        self._namespace("onprem")
        self.cloud.plug(self.ns("customer"), "wan0", "brinet", f"{self.id}c")
        self._exec(
            "customer",
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
            "net.ipv4.conf.all.promote_secondaries=1",
            "net.ipv4.conf.wan0.promote_secondaries=1",
        )
        for address in customer_ips:
            self.address("add", address)
            # the fabric may still cache an earlier test's MAC for this address
            self._announce("customer", "wan0", address)
        run("ip", "-n", self.ns("customer"), "route", "add", "default", "via", str(INTERNET_NET[1]))
        run(
            "ip",
            "link",
            "add",
            "lan0",
            "netns",
            self.ns("customer"),
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            self.ns("onprem"),
        )
        for role, dev in (("customer", "lan0"), ("onprem", "eth0")):
            run("ip", "-n", self.ns(role), "link", "set", dev, "up")
        for cidrs in site_cidrs:
            for cidr in cidrs:
                net = IPNetwork(cidr)
                run(
                    "ip",
                    "-n",
                    self.ns("customer"),
                    "addr",
                    "add",
                    f"{net[1]}/{net.prefixlen}",
                    "dev",
                    "lan0",
                )
            host = IPNetwork(cidrs[0])
            run(
                "ip",
                "-n",
                self.ns("onprem"),
                "addr",
                "add",
                f"{host[10]}/{host.prefixlen}",
                "dev",
                "eth0",
            )
            self.onprem_hosts.append(str(host[10]))
        first = IPNetwork(site_cidrs[0][0])
        run("ip", "-n", self.ns("onprem"), "route", "add", "default", "via", str(first[1]))

    def build_vpc_host(self, network_id: str, subnet_id: str, routes: dict[str, list[str]]):
        """A VPC host: a port of the project on ``subnet_id`` (Neutron assigns its address),
        plugged like a VM's. ``routes``: destination CIDR -> next hops (the members' addresses
        on this subnet). Several next hops make a multipath route that drops a member whose
        neighbour entry fails: the VPC's routes decide which member carries traffic."""
        member = self.cloud.member
        port = member.create(
            "ports",
            "port",
            {"network_id": network_id, "fixed_ips": [{"subnet_id": subnet_id}], "name": self.id},
        )
        self.ports.append(port["id"])
        subnet = member.show("subnets", subnet_id)
        address = port["fixed_ips"][0]["ip_address"]
        prefix = IPNetwork(subnet["cidr"]).prefixlen
        self._namespace("vpc")
        bridge = self.cloud.ensure_bridge(bridge_name(network_id))
        self.cloud.plug(self.ns("vpc"), "eth0", bridge, f"{self.id}v")
        run("ip", "-n", self.ns("vpc"), "link", "set", "eth0", "address", port["mac_address"])
        run("ip", "-n", self.ns("vpc"), "addr", "add", f"{address}/{prefix}", "dev", "eth0")
        # A dead member's neighbour entry fails within ~2 s (defaults: up to a minute).
        self._exec(
            "vpc",
            "sysctl",
            "-qw",
            "net.ipv4.fib_multipath_use_neigh=1",
            "net.ipv4.neigh.eth0.base_reachable_time_ms=1000",
            "net.ipv4.neigh.eth0.delay_first_probe_time=1",
            "net.ipv4.neigh.eth0.retrans_time_ms=200",
            "net.ipv4.neigh.eth0.ucast_solicit=2",
            "net.ipv4.neigh.eth0.mcast_solicit=2",
        )
        for destination, hops in routes.items():
            self.route(destination, hops)
        # Neutron reuses a deleted port's address: routers may cache the old MAC
        self._announce("vpc", "eth0", address)
        self.vpc_host = address

    def _announce(self, role: str, dev: str, address: str) -> None:
        """Gratuitous ARP, so neighbours update an entry for a reused address."""
        self._exec(
            role,
            "arping",
            "-U",
            "-c",
            "2",
            "-w",
            "1",
            "-I",
            dev,
            "-s",
            address,
            address,
            check=False,
        )

    def route(self, destination: str, hops: list[str]) -> None:
        """Set the VPC host's route to ``destination`` over ``hops``."""
        spec = (
            ["via", hops[0]]
            if len(hops) == 1
            else [word for hop in hops for word in ("nexthop", "via", hop)]
        )
        run("ip", "-n", self.ns("vpc"), "route", "replace", destination, *spec)

    def _daemon(self, role: str, directory: Path, command: str) -> subprocess.Popen:
        (directory / "run").mkdir(parents=True, exist_ok=True)
        shell = (
            f"mount --bind {directory}/run /run && "
            f"exec env STRONGSWAN_CONF={directory}/strongswan.conf {command}"
        )
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(role), "sh", "-c", shell],
            stdout=open(directory / "stdout.log", "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.daemons.append(process)
        return process

    def start_customer(self, swanctl_conf: str, vpc_cidrs: list[str]) -> None:
        """The customer device: charon + swanctl reading the rendered swanctl.conf."""
        d = self.customer_dir
        (d / "swanctl").mkdir(parents=True, exist_ok=True)
        (d / "swanctl" / "swanctl.conf").write_text(swanctl_conf)
        (d / "strongswan.conf").write_text(strongswan_conf(d))
        self._daemon("customer", d, CHARON)
        deadline = time.monotonic() + 15
        while not (d / "charon.vici").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the customer's charon did not start:\n{self.log()[-2000:]}")
            time.sleep(0.05)
        while self._exec("customer", "ip", "link", "show", "ipsec0", check=False).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("no ipsec0 TUN device in the customer namespace")
            time.sleep(0.05)
        for cidr in vpc_cidrs:
            run("ip", "-n", self.ns("customer"), "route", "replace", cidr, "dev", "ipsec0")

    def stop_customer(self) -> None:
        """Stop the customer's charon (a test then starts it again with another config)."""
        for process in self.daemons:
            _end(process)
        self.daemons.clear()
        for stale in ("charon.vici", "charon.log"):
            (self.customer_dir / stale).unlink(missing_ok=True)

    def swanctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """swanctl against the customer's daemon."""
        return self._exec(
            "customer",
            "swanctl",
            *args,
            "--uri",
            f"unix://{self.customer_dir}/charon.vici",
            check=check,
        )

    def load_customer(self) -> None:
        """Load the device's connections (start_action=start initiates them)."""
        self.swanctl("--load-all", "--file", str(self.customer_dir / "swanctl" / "swanctl.conf"))

    def child_sas(self) -> dict[str, ChildSa]:
        """Installed CHILD_SAs of the customer device, by child name (the first listed of each)."""
        found: dict[str, ChildSa] = {}
        for sa in self.all_child_sas():
            found.setdefault(sa.name, sa)
        return found

    def all_child_sas(self) -> list[ChildSa]:
        """Every installed CHILD_SA: both sides initiate, so a child can briefly have two."""
        text = self.swanctl("--list-sas").stdout
        found: list[ChildSa] = []
        child = algorithms = ike = None
        bytes_in = 0
        for line in text.splitlines():
            m = re.match(r"^\s{2}([A-Z0-9_]+[-/][A-Z0-9_/-]+)$", line)
            if m:  # the IKE SA's suite line
                ike = m.group(1)
                continue
            m = re.match(r"^\s+(\S+): #\d+, reqid \d+, INSTALLED, [^,]+, ESP:(\S+)", line)
            if m:
                child, algorithms = m.group(1), m.group(2)
                continue
            m = re.match(r"^\s+in\s+[0-9a-f]+,\s+(\d+) bytes", line)
            if m and child:
                bytes_in = int(m.group(1))
                continue
            m = re.match(r"^\s+out\s+([0-9a-f]+),\s+(\d+) bytes", line)
            if m and child:
                found.append(
                    ChildSa(child, m.group(1), bytes_in, int(m.group(2)), algorithms, ike or "")
                )
                child = None
        return found

    def wait_for_children(self, names: set[str], timeout: float) -> float | None:
        """Seconds until all named CHILD_SAs are installed, or None when they never are."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if names <= set(self.child_sas()):
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    def ping(self, source: str = "vpc", count: int = 1, wait: float = 1.0, site: int = 0) -> bool:
        """Ping across the VPN: from the VPC host to the on-prem host of a site, or back."""
        if source == "vpc":
            cmd = ["ping", "-c", str(count), "-W", str(wait), "-i", "0.2", self.onprem_hosts[site]]
        else:
            cmd = [
                "ping",
                "-c",
                str(count),
                "-W",
                str(wait),
                "-i",
                "0.2",
                "-I",
                self.onprem_hosts[site],
                self.vpc_host,
            ]
        return self._exec(source, *cmd, check=False).returncode == 0

    def address(self, action: str, address: str) -> None:
        """Add or delete a public address of the customer gateway."""
        run(
            "ip",
            "-n",
            self.ns("customer"),
            "addr",
            action,
            f"{address}/{INTERNET_NET.prefixlen}",
            "dev",
            "wan0",
        )

    def log(self) -> str:
        """The customer's charon log."""
        path = self.customer_dir / "charon.log"
        return path.read_text() if path.exists() else ""

    def diagnose(self) -> str:
        """For a failure message: the SAs and the log lines that say what went wrong."""
        sas = self.swanctl("--list-sas", check=False).stdout
        telling = re.compile(r"establish|failed|AUTH|NO_PROP|TS_UNACC|INVALID|retransmit|giving up")
        lines = [line for line in self.log().splitlines() if telling.search(line)]
        return f"SAs:\n{sas}\nlog:\n" + "\n".join(lines[-40:])

    def close(self) -> None:
        """Stop the daemon, delete the namespaces (their links go with them) and the port."""
        for process in self.daemons:
            _end(process)
        for namespace in reversed(self.namespaces):
            for pid in run("ip", "netns", "pids", namespace, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            run("ip", "netns", "del", namespace, check=False)
        self.namespaces.clear()
        for port in self.ports:
            self.cloud.member.neutron("DELETE", f"/ports/{port}")
        self.ports.clear()


def _end(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
