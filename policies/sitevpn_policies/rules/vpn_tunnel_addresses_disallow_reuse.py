"""vpn-tunnel-addresses-disallow-reuse"""

from netaddr import IPNetwork

from ..frame import Severity, stack_rule
from ..support import CONNECTION_PAIR, SITE_CONNECTION, dependency, reference


def _gateway_of(connection) -> object:
    """The gateway a connection terminates on: its service's VpnGateway, else the service."""
    service = dependency(connection, "vpnserviceId")
    if service is not None and service.parent is not None:
        return ("urn", service.parent.urn)
    return reference(connection, "vpnserviceId")


@stack_rule(
    description="A tunnel interface /30 must not be used twice on one VPN gateway.",
    severity=Severity.MEDIUM,
    remediation="Give every connection of the gateway its own /30 (e.g. 169.254.70.0/30, "
    "169.254.71.0/30, ...).",
)
def POLICY(rule):
    """No /30 is used by two connections of one gateway."""
    used: dict[tuple[object, str], str] = {}
    for pair in rule.resources(CONNECTION_PAIR):
        with rule.guard():
            connections = {
                c.name.rsplit("-", 1)[-1]: c for c in rule.children(pair, SITE_CONNECTION)
            }
            for tunnel in pair.props.get("tunnels") or []:
                connection = connections.get(tunnel.get("connection"))
                gateway = _gateway_of(connection) if connection is not None else ("pair", pair.urn)
                try:
                    block = str(IPNetwork(str(tunnel.get("customerAddress"))).cidr)
                except Exception:
                    continue
                if (gateway, block) in used:
                    rule.report(
                        pair,
                        "tunnels",
                        block,
                        f"is already used by {used[(gateway, block)]} on the same gateway",
                    )
                else:
                    used[(gateway, block)] = f"{pair.name} {tunnel.get('connection')}"
