"""vpn-tunnel-addresses-disallow-reuse"""

from netaddr import IPNetwork
from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..support import (
    CONNECTION_PAIR,
    SITE_CONNECTION,
    StackIndex,
    Unknowns,
    dependency,
    each_resource,
    reference,
    violation,
)


def _gateway_of(connection) -> object:
    """The gateway a connection terminates on: its service's VpnGateway, else the service."""
    service = dependency(connection, "vpnserviceId")
    if service is not None and service.parent is not None:
        return ("urn", service.parent.urn)
    return reference(connection, "vpnserviceId")


def validate(args, report):
    """No /30 is used by two connections of one gateway."""
    unknowns = Unknowns()
    index = StackIndex(args)
    used: dict[tuple[object, str], str] = {}
    for pair in each_resource(args, CONNECTION_PAIR):
        with unknowns.guard():
            connections = {
                c.name.rsplit("-", 1)[-1]: c for c in index.children_of(pair, SITE_CONNECTION)
            }
            for tunnel in pair.props.get("tunnels") or []:
                connection = connections.get(tunnel.get("connection"))
                gateway = _gateway_of(connection) if connection is not None else ("pair", pair.urn)
                try:
                    block = str(IPNetwork(str(tunnel.get("customerAddress"))).cidr)
                except Exception:
                    continue
                where = f"{pair.name} {tunnel.get('connection')}"
                if (gateway, block) in used:
                    report(
                        violation(
                            pair.name,
                            pair.resource_type,
                            "tunnels",
                            block,
                            f"is already used by {used[(gateway, block)]} on the same gateway",
                        ),
                        pair.urn,
                    )
                else:
                    used[(gateway, block)] = where
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-tunnel-addresses-disallow-reuse",
    description="A tunnel interface /30 must not be used twice on one VPN gateway.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Give every connection of the gateway its own /30 (e.g. 169.254.70.0/30, "
        "169.254.71.0/30, ...)."
    ),
    validate=validate,
)
