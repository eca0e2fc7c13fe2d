"""A small OpenStack on loopback: RabbitMQ, Keystone, the Neutron API (keystonemiddleware auth),
neutron-rpc-server and the L3 agent with the VPNaaS extension and the strongSwan device driver.

usage: python services.py STATE_DIR FABRIC_NETNS      (the supervisor; runs in the cloud venv)
       python services.py keystone-api STATE_DIR PORT  (children it starts)
       python services.py neutron-api STATE_DIR PORT

The supervisor runs as PID 1 of a PID namespace of its own (``unshare --pid --fork --kill-child
--mount-proc``, started by tests/cloud/fixture.py): neutron-vpn-netns-wrapper insists on a PID 1
whose network namespace differs from the router's, and every daemon below (charon included)
dies with the namespace, however the test run ends. It writes ``ready.json`` (ports, bootstrap
credentials) once every service answers, then waits for SIGTERM.

This file is never imported by the test process: it only runs under the cloud venv.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = Path(sys.prefix)
BIN = VENV / "bin"
REGION = "RegionOne"

KEYSTONE_CONF = """[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///{state}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {state}/fernet-keys
[fernet_receipts]
key_repository = {state}/fernet-keys
[credential]
key_repository = {state}/credential-keys
[identity]
# a test login need not cost 0.2 s of bcrypt
password_hash_rounds = 4
[oslo_policy]
enforce_new_defaults = true
enforce_scope = true
"""

NEUTRON_CONF = """[DEFAULT]
core_plugin = ml2
service_plugins = router,vpnaas
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:{rabbit_port}/
bind_host = 127.0.0.1
state_path = {state}/neutron
# routers go to the one L3 agent as soon as it asks for them
router_auto_schedule = true
network_auto_schedule = false
allow_automatic_l3agent_failover = false
dhcp_agent_notification = false
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
use_stderr = true
# SITE_VPN_CLOUD_DEBUG=1: Neutron's debug log (the agent's status reports, RPC casts)
debug = {debug}
api_paste_config = {venv}/etc/neutron/api-paste.ini
rpc_response_timeout = 60
[database]
connection = sqlite:///{state}/neutron.db?timeout=30
[keystone_authtoken]
www_authenticate_uri = {keystone}/v3
auth_url = {keystone}/v3
auth_type = password
username = neutron
password = {neutron_password}
user_domain_name = Default
project_name = service
project_domain_name = Default
region_name = {region}
[oslo_messaging_notifications]
driver = noop
[oslo_concurrency]
lock_path = {state}/neutron/lock
[oslo_policy]
enforce_new_defaults = true
enforce_scope = true
[agent]
root_helper = env {venv}/bin/neutron-rootwrap {state}/rootwrap.conf
report_interval = 10
[service_providers]
service_provider = VPN:strongswan:neutron_vpnaas.services.vpn.service_drivers.ipsec.IPsecVPNDriver:default
"""

ML2_CONF = """[ml2]
type_drivers = flat,vlan,local
tenant_network_types = vlan
mechanism_drivers =
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:199
"""

L3_AGENT_INI = """[DEFAULT]
# veth pairs onto Linux bridges in the fabric namespace: this kernel has no Open vSwitch
interface_driver = lab_interface_driver.VethBridgeDriver
agent_mode = legacy
enable_metadata_proxy = false
periodic_interval = 5
[agent]
extensions = vpnaas
[vpnagent]
vpn_device_driver = neutron_vpnaas.services.vpn.device_drivers.strongswan_ipsec.StrongSwanDriver
[ipsec]
config_base_dir = {state}/neutron/ipsec
ipsec_status_check_interval = 5
[strongswan]
# the operator's config area: what every router's charon includes (see strongswan.d below)
default_config_area = {state}/strongswan.d
"""

ROOTWRAP_CONF = """[DEFAULT]
filters_path = {venv}/etc/neutron/rootwrap.d,{state}/rootwrap.d
exec_dirs = {venv}/bin,/sbin,/usr/sbin,/bin,/usr/bin,/usr/local/bin,/usr/local/sbin
use_syslog = False
"""

# The shipped filters know /usr/local/bin paths and /etc config files only; the lab's venv and
# state directory live elsewhere, and the L3 agent needs iptables and friends in namespaces.
ROOTWRAP_FILTERS = """[Filters]
privsep_venv: CommandFilter, {venv}/bin/privsep-helper, root
privsep: CommandFilter, privsep-helper, root
netns_wrapper_venv: CommandFilter, {venv}/bin/neutron-vpn-netns-wrapper, root
iptables-save: CommandFilter, iptables-save, root
iptables-restore: CommandFilter, iptables-restore, root
ip6tables-save: CommandFilter, ip6tables-save, root
ip6tables-restore: CommandFilter, ip6tables-restore, root
iptables: CommandFilter, iptables, root
ip6tables: CommandFilter, ip6tables, root
conntrack: CommandFilter, conntrack, root
sysctl: CommandFilter, sysctl, root
kill: CommandFilter, kill, root
arping: CommandFilter, arping, root
mount: CommandFilter, mount, root
"""


def operator_strongswan_d(state: Path) -> Path:
    """The operator's strongSwan config area: Debian's, with the userspace IPsec backend
    (no kernel ESP here) and retransmits sized for a failover test."""
    area = state / "strongswan.d"
    shutil.copytree("/etc/strongswan.d", area, dirs_exist_ok=True)
    (area / "charon" / "kernel-libipsec.conf").write_text("kernel-libipsec {\n    load = yes\n}\n")
    (area / "zz-site-vpn-lab.conf").write_text((HERE / "operator-strongswan.conf").read_text())
    return area


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers (401 for an unauthenticated request is an answer)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer within {timeout:.0f} s") from None
            time.sleep(0.2)


def call(url: str, method: str = "GET", body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return response.headers, (json.loads(raw) if raw else {})


class Supervisor:
    """Starts the services in order, owns their processes, stops them in reverse."""

    def __init__(self, state: Path, fabric: str):
        self.state = state
        self.fabric = fabric
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.commands: dict[str, tuple[list[str], dict | None]] = {}
        self.figures: dict[str, float] = {}

    def spawn(self, name: str, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.state / "logs" / f"{name}.log", "ab")
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=self.state,
            # a group of its own: oslo.service/cotyledon signal their whole process group
            start_new_session=True,
        )
        self.processes.append((name, process))
        self.commands[name] = (cmd, env)
        return process

    def restart(self, name: str) -> None:
        """Stop a service's process group and start it again (what an operator's
        `systemctl restart` does; charon, which its starter detached, keeps running)."""
        for index, (known, process) in enumerate(self.processes):
            if known != name:
                continue
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(process.pid, sig)
                    process.wait(timeout=wait)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue
            del self.processes[index]
            self.spawn(name, *self.commands[name])
            return

    def timed(self, name: str, started: float) -> None:
        self.figures[name] = round(time.monotonic() - started, 2)

    # --- RabbitMQ ------------------------------------------------------------------------
    def rabbitmq(self) -> int:
        started = time.monotonic()
        port, dist, epmd = free_port(), free_port(), free_port()
        base = self.state / "rabbitmq"
        base.mkdir()
        (base / "enabled_plugins").write_text("[].\n")
        env = {
            "HOME": str(base),
            "RABBITMQ_NODENAME": "sitevpn@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist),
            "ERL_EPMD_PORT": str(epmd),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
        }
        self.spawn("epmd", ["epmd", "-address", "127.0.0.1", "-port", str(epmd)], env)
        process = self.spawn("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env)
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError("RabbitMQ exited; see logs/rabbitmq.log")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"AMQP\x00\x00\x09\x01")
                    if s.recv(8):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("RabbitMQ did not accept AMQP within 90 s")
            time.sleep(0.3)
        self.timed("rabbitmq", started)
        return port

    # --- Keystone ------------------------------------------------------------------------
    def keystone(self) -> tuple[str, str]:
        started = time.monotonic()
        conf = self.state / "keystone.conf"
        conf.write_text(KEYSTONE_CONF.format(state=self.state))
        manage = [str(BIN / "keystone-manage"), "--config-file", str(conf)]
        owner = ["--keystone-user", "root", "--keystone-group", "root"]
        for step in (["db_sync"], ["fernet_setup", *owner], ["credential_setup", *owner]):
            subprocess.run(
                [*manage, *step], check=True, capture_output=True, cwd=self.state, timeout=300
            )
        # Keystone's own background writes and a request race on SQLite without WAL.
        with sqlite3.connect(self.state / "keystone.db") as db:
            db.execute("PRAGMA journal_mode=WAL")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        admin_password = secrets.token_urlsafe(18)
        # The password goes by environment: one that starts with "-" (a token_urlsafe does, one
        # time in 64) would be read by keystone-manage's argparse as an option, and argv is public.
        subprocess.run(
            [
                *manage,
                "bootstrap",
                "--bootstrap-admin-url",
                f"{url}/v3",
                "--bootstrap-public-url",
                f"{url}/v3",
                "--bootstrap-internal-url",
                f"{url}/v3",
                "--bootstrap-region-id",
                REGION,
            ],
            check=True,
            capture_output=True,
            cwd=self.state,
            timeout=120,
            env={**os.environ, "OS_BOOTSTRAP_PASSWORD": admin_password},
        )
        process = self.spawn(
            "keystone", [sys.executable, __file__, "keystone-api", str(self.state), str(port)]
        )
        wait_http(f"{url}/v3", 60, process, "Keystone")
        self.timed("keystone", started)
        return url, admin_password

    def identity(self, keystone: str, admin_password: str, neutron_url: str) -> dict:
        """Projects, users, roles and the catalog entry for Neutron."""
        token = self.token(keystone, "admin", admin_password, "admin")
        v3 = f"{keystone}/v3"

        def make(collection: str, key: str, body: dict) -> dict:
            return call(f"{v3}/{collection}", "POST", {key: body}, token)[1][key]

        def role_id(name: str) -> str:
            found = call(f"{v3}/roles?name={name}", token=token)[1]["roles"]
            return found[0]["id"] if found else make("roles", "role", {"name": name})["id"]

        def grant(project: dict, user: dict, role: str) -> None:
            call(
                f"{v3}/projects/{project['id']}/users/{user['id']}/roles/{role_id(role)}",
                "PUT",
                token=token,
            )

        service_project = make("projects", "project", {"name": "service", "domain_id": "default"})
        project = make("projects", "project", {"name": "site-vpn", "domain_id": "default"})
        users = {}
        for name, grants in (
            ("neutron", [(service_project, "service")]),
            ("member", [(project, "member")]),
        ):
            password = secrets.token_urlsafe(18)
            user = make(
                "users",
                "user",
                {"name": name, "password": password, "domain_id": "default"},
            )
            for target, role in grants:
                grant(target, user, role)
            users[name] = password
        # the lab's admin works in the member's project too (project-scoped, as 2026.1 wants)
        admin = call(f"{v3}/users?name=admin", token=token)[1]["users"][0]
        grant(project, admin, "admin")
        service = make("services", "service", {"name": "neutron", "type": "network"})
        for interface in ("public", "internal", "admin"):
            make(
                "endpoints",
                "endpoint",
                {
                    "service_id": service["id"],
                    "interface": interface,
                    "url": neutron_url,
                    "region_id": REGION,
                },
            )
        return {"project": project["name"], "project_id": project["id"], "passwords": users}

    @staticmethod
    def token(keystone: str, user: str, password: str, project: str) -> str:
        headers, _ = call(
            f"{keystone}/v3/auth/tokens",
            "POST",
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": user,
                                "domain": {"name": "Default"},
                                "password": password,
                            }
                        },
                    },
                    "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
                }
            },
        )
        return headers["X-Subject-Token"]

    # --- Neutron -------------------------------------------------------------------------
    def neutron(self, rabbit_port: int, keystone: str, neutron_password: str, port: int) -> str:
        started = time.monotonic()
        (self.state / "neutron" / "lock").mkdir(parents=True, exist_ok=True)
        (self.state / "neutron.conf").write_text(
            NEUTRON_CONF.format(
                state=self.state,
                venv=VENV,
                rabbit_port=rabbit_port,
                keystone=keystone,
                neutron_password=neutron_password,
                region=REGION,
                debug=str(os.environ.get("SITE_VPN_CLOUD_DEBUG") == "1").lower(),
            )
        )
        (self.state / "ml2_conf.ini").write_text(ML2_CONF)
        import sqlalchemy
        from neutron_vpnaas.db.models import head

        # The schema from the models, as neutron's own tests do (the migrations need MySQL).
        engine = sqlalchemy.create_engine(f"sqlite:///{self.state}/neutron.db")
        head.get_metadata().create_all(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        engine.dispose()
        url = f"http://127.0.0.1:{port}"
        api = self.spawn(
            "neutron-api", [sys.executable, __file__, "neutron-api", str(self.state), str(port)]
        )
        self.spawn(
            "neutron-rpc-server",
            [sys.executable, __file__, "neutron-rpc", str(self.state), "0"],
        )
        wait_http(f"{url}/", 120, api, "the Neutron API")
        self.timed("neutron_api", started)
        return url

    def l3_agent(self) -> None:
        state = self.state
        (state / "l3_agent.ini").write_text(L3_AGENT_INI.format(state=state))
        (state / "rootwrap.conf").write_text(ROOTWRAP_CONF.format(venv=VENV, state=state))
        (state / "rootwrap.d").mkdir()
        (state / "rootwrap.d" / "site-vpn-lab.filters").write_text(
            ROOTWRAP_FILTERS.format(venv=VENV)
        )
        operator_strongswan_d(state)
        self.spawn(
            "neutron-l3-agent",
            [
                str(BIN / "neutron-l3-agent"),
                "--config-file",
                str(state / "neutron.conf"),
                "--config-file",
                str(state / "l3_agent.ini"),
            ],
            env={
                "PYTHONPATH": str(HERE / "agent"),
                "SITE_VPN_FABRIC_NETNS": self.fabric,
            },
        )

    def mark_decrypted_traffic(self) -> None:
        """Lab adaptation (kernel-libipsec): decrypted packets arrive unmarked on ipsec0 and the
        agent's address-scope chain drops them; a kernel-XFRM network node needs none of it."""
        done: set[str] = set()
        while True:
            listed = subprocess.run(
                ["ip", "netns", "list"], capture_output=True, text=True
            ).stdout.split()
            for name in listed:
                if name.startswith("qrouter-") and name not in done:
                    mangle = ["ip", "netns", "exec", name, "iptables", "-t", "mangle"]
                    rule = ["-i", "ipsec0", "-j", "MARK", "--set-xmark", "0x4000000/0xffff0000"]
                    check = [*mangle, "-C", "PREROUTING", *rule]
                    if subprocess.run(check, capture_output=True).returncode != 0:
                        insert = [*mangle, "-I", "PREROUTING", "1", *rule]
                        subprocess.run(insert, capture_output=True)
                    done.add(name)
            done &= set(listed)
            yield

    def run(self) -> None:
        (self.state / "logs").mkdir(exist_ok=True)
        started = time.monotonic()
        rabbit = self.rabbitmq()
        keystone, admin_password = self.keystone()
        neutron_port = free_port()
        neutron_url = f"http://127.0.0.1:{neutron_port}"
        ids = self.identity(keystone, admin_password, neutron_url)
        self.neutron(rabbit, keystone, ids["passwords"]["neutron"], neutron_port)
        self.l3_agent()
        self.timed("total", started)
        ready = {
            "keystone": keystone,
            "neutron": neutron_url,
            "region": REGION,
            "project": ids["project"],
            "project_id": ids["project_id"],
            "admin_password": admin_password,
            "member_password": ids["passwords"]["member"],
            "figures": self.figures,
            "pid": os.getpid(),
        }
        tmp = self.state / "ready.json.tmp"
        tmp.write_text(json.dumps(ready))
        tmp.chmod(0o600)
        tmp.rename(self.state / "ready.json")
        marker = self.mark_decrypted_traffic()
        while True:
            self.reap_orphans()
            # a test's request (Cloud.restart_l3_agent): the file goes when the agent is back
            request = self.state / "restart-neutron-l3-agent"
            if request.exists():
                self.restart("neutron-l3-agent")
                request.unlink()
            for name, process in self.processes:
                if process.poll() is not None and name != "epmd":
                    (self.state / "failed").write_text(f"{name} exited with {process.returncode}\n")
            next(marker)
            time.sleep(0.5)

    def reap_orphans(self) -> None:
        """As PID 1 of the namespace, collect every orphan that exited (daemons double-fork:
        privsep helpers, starter, epmd); our own children are left to Popen."""
        ours = {process.pid for _, process in self.processes}
        while True:
            try:
                found = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if found is None or found.si_pid in ours:
                return
            os.waitpid(found.si_pid, 0)

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def serialize_sqlite_writers() -> None:
    """Every transaction of this process takes SQLite's write lock up front (BEGIN IMMEDIATE,
    SQLAlchemy's documented pysqlite recipe), so two of the lab's Neutron processes wait for
    each other (busy timeout) instead of failing a read-then-write transaction with
    "database is locked"."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    # oslo.db already turns pysqlite's own BEGIN off and emits a plain BEGIN in its "begin"
    # listener unless ``in_transaction`` is set; this class-level listener runs first.
    @event.listens_for(Engine, "begin")
    def _begin(connection):
        if connection.dialect.name == "sqlite" and "in_transaction" not in connection.info:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.info["in_transaction"] = True


def api_sends_only() -> None:
    """The API process notifies agents but does not consume the agents' status reports.

    neutron-vpnaas 28's IPsec service driver starts its ``ipsec_driver`` consumer in its
    constructor, so every process that loads the plugin competes for the agent's casts; a
    status report taken by this WSGI process was seen lost (a connection left DOWN while its
    tunnel carried traffic). The rpc server alone consumes them, as Neutron's API/RPC split
    intends (the OVN driver does it in ``start_rpc_listeners``).
    """
    from neutron_vpnaas.services.vpn.service_drivers import base_ipsec, ipsec

    def create_rpc_conn(self):
        self.agent_rpc = base_ipsec.IPsecVpnAgentApi(
            ipsec.topics.IPSEC_AGENT_TOPIC, ipsec.BASE_IPSEC_VERSION, self
        )

    ipsec.IPsecVPNDriver.create_rpc_conn = create_rpc_conn


def rpc_server(state: Path) -> None:
    """neutron-rpc-server with the lab's SQLite setting."""
    serialize_sqlite_writers()
    from neutron.cmd.server import main_rpc

    sys.argv = [
        "neutron-rpc-server",
        "--config-file",
        str(state / "neutron.conf"),
        "--config-file",
        str(state / "ml2_conf.ini"),
    ]
    sys.exit(main_rpc())


def serve(app_module: str, state: Path, port: int) -> None:
    """Serve a WSGI application on 127.0.0.1 with the stdlib server, one thread a request."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        # socketserver's listen queue is 5; a production API server's is hundreds. With 5, a
        # 300-resource `up` (the provider and the rollout's status queries at once) had its
        # token requests reset (hub50 in CI).
        request_queue_size = 1024

    class Quiet(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    sys.argv = sys.argv[:1]  # oslo.config parses sys.argv
    if app_module == "keystone-api":
        os.environ["OS_KEYSTONE_CONFIG_DIR"] = str(state)
        os.environ["OS_KEYSTONE_CONFIG_FILES"] = "keystone.conf"
        from keystone.wsgi.api import application
    else:
        serialize_sqlite_writers()
        api_sends_only()
        os.environ["OS_NEUTRON_CONFIG_DIR"] = str(state)
        os.environ["OS_NEUTRON_CONFIG_FILES"] = "neutron.conf;ml2_conf.ini"
        from neutron.wsgi.api import application
    server = make_server("127.0.0.1", port, application, server_class=Server, handler_class=Quiet)
    server.serve_forever()


def main() -> None:
    if sys.argv[1] in ("keystone-api", "neutron-api"):
        serve(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
        return
    if sys.argv[1] == "neutron-rpc":
        rpc_server(Path(sys.argv[2]))
        return
    supervisor = Supervisor(Path(sys.argv[1]).resolve(), sys.argv[2])

    def stop(signum, frame):
        supervisor.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        supervisor.run()
    except Exception as exc:
        (supervisor.state / "failed").write_text(f"{type(exc).__name__}: {exc}\n")
        supervisor.stop()
        sys.exit(1)


if __name__ == "__main__":
    main()
