"""Serve a real Neutron API with the VPNaaS plugin on 127.0.0.1 (runs in the Neutron venv).

usage: python serve.py STATE_DIR PORT

No agents run: resources stay PENDING_CREATE, but every API-side validation of neutron and
neutron-vpnaas applies. The database is SQLite, its schema created from neutron's and
neutron-vpnaas's models (as neutron's own unit tests do; the migrations need MySQL).
This file is never imported by the test process: it only runs under the Neutron venv.
"""

import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

NEUTRON_CONF = """[DEFAULT]
core_plugin = ml2
service_plugins = router,vpnaas
auth_strategy = noauth
transport_url = fake://
bind_host = 127.0.0.1
bind_port = {port}
state_path = {state}
dhcp_agent_notification = false
router_auto_schedule = false
network_auto_schedule = false
allow_automatic_l3agent_failover = false
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
use_stderr = true
debug = false
api_paste_config = {paste}

[database]
connection = sqlite:///{state}/neutron.db?timeout=30

[oslo_messaging_notifications]
driver = noop

[oslo_concurrency]
lock_path = {state}/lock

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


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    state, port = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    state.mkdir(parents=True, exist_ok=True)
    # pip installs neutron's paste pipeline as a data file of the venv
    paste = Path(sys.prefix) / "etc" / "neutron" / "api-paste.ini"
    (state / "neutron.conf").write_text(NEUTRON_CONF.format(port=port, state=state, paste=paste))
    (state / "ml2_conf.ini").write_text(ML2_CONF)

    import sqlalchemy
    from neutron_vpnaas.db.models import head

    engine = sqlalchemy.create_engine(f"sqlite:///{state}/neutron.db")
    head.get_metadata().create_all(engine)
    # The server's background threads read while requests write: in WAL mode readers do not
    # block writers (the mode is stored in the database file).
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()

    os.environ["OS_NEUTRON_CONFIG_DIR"] = str(state)
    os.environ["OS_NEUTRON_CONFIG_FILES"] = "neutron.conf;ml2_conf.ini"
    sys.argv = sys.argv[:1]  # oslo.config parses sys.argv
    from neutron.wsgi.api import application

    server = make_server(
        "127.0.0.1", port, application, server_class=_Server, handler_class=_QuietHandler
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
