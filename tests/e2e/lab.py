"""A test network of our own: namespaces joined by veth pairs, strongSwan daemons in them.

    vpc host --- cloud (gateway members' EIPs) --- inet --- customer (customer gateway) --- on-prem host

The kernel here has no XFRM, so charon uses the userspace kernel-libipsec plugin (a TUN device,
UDP-encapsulated ESP); routes into the tunnel are managed explicitly. Each daemon gets its own
run directory bind-mounted over /run inside its namespace (charon's pid file path is fixed).
Every address lives in namespaces this lab creates: documentation ranges for the "public"
side, the reference design's private ranges behind each gateway. ``close()`` removes it all.
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

CHARON = "/usr/lib/ipsec/charon"
STARTER = "/usr/lib/ipsec/starter"
STROKE = "/usr/lib/ipsec/stroke"
PLUGINS = (
    "random nonce openssl aes sha1 sha2 hmac gmp curve25519 pem pkcs1 x509 pubkey kdf "
    "kernel-libipsec kernel-netlink socket-default"
)
CLOUD_NET, CUSTOMER_NET = IPNetwork("198.51.100.0/24"), IPNetwork("203.0.113.0/24")
_ids = itertools.count()


def run(*cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run a command, text output; raise with its stderr when it fails and check is set."""
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


@dataclass
class ChildSa:
    """One installed CHILD_SA as the customer device lists it."""

    name: str
    spi_out: str
    bytes_out: int
    algorithms: str
    """The negotiated ESP suite, e.g. AES_CBC-256/HMAC_SHA2_256_128/MODP_3072 (the DH group
    shows once a rekey used PFS)."""
    ike_algorithms: str
    """The negotiated suite of the IKE SA carrying it."""


def strongswan_conf(directory: Path, *, vici: bool, secrets: Path | None = None) -> str:
    """charon settings for a daemon of the lab (what the device's/node's operator would set).

    IKEv2 has no DPD timeout of its own: a peer is dead when retransmissions give up. Here they
    give up after 3.8 s (0.8 + 1.2 + 1.8), so DPD interval (2 s) + retransmissions stay within
    the 6 s DPD timeout the tests' designs use.
    """
    plugins = PLUGINS + (" vici" if vici else " stroke")
    extra = []
    if vici:
        extra.append(f"    vici {{\n      socket = unix://{directory}/charon.vici\n    }}")
    if secrets:
        extra.append(f"    stroke {{\n      secrets_file = {secrets}\n    }}")
    return f"""charon {{
  load_modular = no
  load = {plugins}
  install_routes = no
  retransmit_tries = 2
  retransmit_timeout = 0.8
  retransmit_base = 1.5
  plugins {{
{chr(10).join(extra)}
  }}
  filelog {{
    lab {{
      path = {directory}/charon.log
      time_format = %T
      # tests read the log while the daemon runs: write every line through
      flush_line = yes
      default = 1
      ike = 2
    }}
  }}
}}
"""


class Lab:
    """Namespaces, links and daemons for one test; ``close()`` tears everything down."""

    def __init__(self, workdir: Path):
        self.id = f"sv{os.getpid() % 10000}{next(_ids)}"
        self.workdir = workdir
        self.namespaces: list[str] = []
        self.daemons: list[subprocess.Popen] = []
        self.customer_dir = workdir / "customer"
        self.cloud_dir = workdir / "cloud"

    def ns(self, role: str) -> str:
        """The namespace of a role: vpc, cloud, inet, customer, onprem."""
        return f"{self.id}-{role}"

    def _exec(self, role: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", self.ns(role), *cmd, check=check)

    def _link(self, a: str, b: str, name_a: str, name_b: str) -> None:
        run(
            "ip",
            "link",
            "add",
            name_a,
            "netns",
            self.ns(a),
            "type",
            "veth",
            "peer",
            "name",
            name_b,
            "netns",
            self.ns(b),
        )
        for role, name in ((a, name_a), (b, name_b)):
            run("ip", "-n", self.ns(role), "link", "set", name, "up")

    def build(
        self,
        *,
        eips: list[str],
        customer_ips: list[str],
        vpc_cidrs: list[str],
        onprem_cidrs: list[str],
    ) -> None:
        """Create the five namespaces and their addressing."""
        for role in ("inet", "cloud", "customer", "vpc", "onprem"):
            run("ip", "netns", "add", self.ns(role))
            self.namespaces.append(self.ns(role))
            run("ip", "-n", self.ns(role), "link", "set", "lo", "up")
        self._link("cloud", "inet", "wan0", "cloud0")
        self._link("customer", "inet", "wan0", "cust0")
        self._link("cloud", "vpc", "lan0", "eth0")
        self._link("customer", "onprem", "lan0", "eth0")
        self._exec("inet", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run("ip", "-n", self.ns("inet"), "addr", "add", f"{CLOUD_NET[-2]}/24", "dev", "cloud0")
        run("ip", "-n", self.ns("inet"), "addr", "add", f"{CUSTOMER_NET[-2]}/24", "dev", "cust0")
        for role, addresses, gateway, inner, host in (
            ("cloud", eips, CLOUD_NET[-2], vpc_cidrs, "vpc"),
            ("customer", customer_ips, CUSTOMER_NET[-2], onprem_cidrs, "onprem"),
        ):
            # Removing one public address must not take its siblings with it.
            self._exec(
                role,
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.promote_secondaries=1",
                "net.ipv4.conf.wan0.promote_secondaries=1",
            )
            for address in addresses:
                run("ip", "-n", self.ns(role), "addr", "add", f"{address}/24", "dev", "wan0")
            run("ip", "-n", self.ns(role), "route", "add", "default", "via", str(gateway))
            for cidr in inner:
                net = IPNetwork(cidr)
                run(
                    "ip",
                    "-n",
                    self.ns(role),
                    "addr",
                    "add",
                    f"{net[1]}/{net.prefixlen}",
                    "dev",
                    "lan0",
                )
            first = IPNetwork(inner[0])
            run(
                "ip",
                "-n",
                self.ns(host),
                "addr",
                "add",
                f"{first[10]}/{first.prefixlen}",
                "dev",
                "eth0",
            )
            run("ip", "-n", self.ns(host), "route", "add", "default", "via", str(first[1]))
        self.vpc_host = str(IPNetwork(vpc_cidrs[0])[10])
        self.onprem_host = str(IPNetwork(onprem_cidrs[0])[10])
        self.vpc_cidrs, self.onprem_cidrs = vpc_cidrs, onprem_cidrs

    def _daemon(self, role: str, directory: Path, command: str) -> subprocess.Popen:
        (directory / "run").mkdir(parents=True, exist_ok=True)
        shell = f"mount --bind {directory}/run /run && exec env STRONGSWAN_CONF={directory}/strongswan.conf {command}"
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(role), "sh", "-c", shell],
            stdout=open(directory / "stdout.log", "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.daemons.append(process)
        return process

    def _wait_for(self, path: Path, what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start: no {path.name} after {timeout:.0f} s")
            time.sleep(0.05)

    def start_cloud(self, ipsec_conf: str, ipsec_secrets: str) -> None:
        """The cloud stand-in: starter + charon reading neutron-style ipsec.conf/secrets."""
        d = self.cloud_dir
        d.mkdir(parents=True, exist_ok=True)
        (d / "ipsec.conf").write_text(ipsec_conf)
        secrets = d / "ipsec.secrets"
        secrets.write_text(ipsec_secrets)
        secrets.chmod(0o600)
        (d / "strongswan.conf").write_text(strongswan_conf(d, vici=False, secrets=secrets))
        self._daemon("cloud", d, f"{STARTER} --nofork --conf {d}/ipsec.conf")
        self._wait_for(d / "run" / "charon.ctl", "the cloud's charon")
        self._wait_for_tun("cloud")
        for cidr in self.onprem_cidrs:
            run("ip", "-n", self.ns("cloud"), "route", "replace", cidr, "dev", "ipsec0")

    def start_customer(self, swanctl_conf: str) -> None:
        """The customer device: charon + swanctl reading the rendered swanctl.conf."""
        d = self.customer_dir
        (d / "swanctl").mkdir(parents=True, exist_ok=True)
        (d / "swanctl" / "swanctl.conf").write_text(swanctl_conf)
        (d / "strongswan.conf").write_text(strongswan_conf(d, vici=True))
        self._daemon("customer", d, CHARON)
        self._wait_for(d / "charon.vici", "the customer's charon")
        self._wait_for_tun("customer")
        for cidr in self.vpc_cidrs:
            run("ip", "-n", self.ns("customer"), "route", "replace", cidr, "dev", "ipsec0")

    def _wait_for_tun(self, role: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self._exec(role, "ip", "link", "show", "ipsec0", check=False).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no ipsec0 TUN device in {role} after {timeout:.0f} s")
            time.sleep(0.05)

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
        """Installed CHILD_SAs of the customer device, by child name."""
        text = self.swanctl("--list-sas").stdout
        found: dict[str, ChildSa] = {}
        child = algorithms = ike = None
        for line in text.splitlines():
            m = re.match(r"^\s{2}([A-Z0-9_]+[-/][A-Z0-9_/-]+)$", line)
            if m:  # the IKE SA's suite line
                ike = m.group(1)
                continue
            m = re.match(r"^\s+(\S+): #\d+, reqid \d+, INSTALLED, [^,]+, ESP:(\S+)", line)
            if m:
                child, algorithms = m.group(1), m.group(2)
                continue
            m = re.match(r"^\s+out\s+([0-9a-f]+),\s+(\d+) bytes", line)
            if m and child:
                found[child] = ChildSa(child, m.group(1), int(m.group(2)), algorithms, ike or "")
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

    def ping(self, source: str = "vpc", count: int = 1, wait: float = 1.0) -> bool:
        """Ping across the VPN: from the VPC host to the on-prem host, or back."""
        target = self.onprem_host if source == "vpc" else self.vpc_host
        result = self._exec(
            source, "ping", "-c", str(count), "-W", str(wait), "-i", "0.2", target, check=False
        )
        return result.returncode == 0

    def address(self, role: str, action: str, address: str) -> None:
        """Add or delete a public address of the cloud or the customer gateway."""
        run("ip", "-n", self.ns(role), "addr", action, f"{address}/24", "dev", "wan0")

    def log(self, role: str) -> str:
        """A daemon's charon log."""
        path = (self.customer_dir if role == "customer" else self.cloud_dir) / "charon.log"
        return path.read_text() if path.exists() else ""

    def close(self) -> None:
        """Stop the daemons and delete the namespaces (their links go with them)."""
        for process in self.daemons:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    process.wait(timeout=5)
        for namespace in reversed(self.namespaces):
            for pid in run("ip", "netns", "pids", namespace, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            run("ip", "netns", "del", namespace, check=False)
        self.namespaces.clear()
