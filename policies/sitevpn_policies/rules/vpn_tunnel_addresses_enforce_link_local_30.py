"""vpn-tunnel-addresses-enforce-link-local-30"""

from netaddr import IPSet

from ..checks.tunnels import tunnel_problems
from ..frame import Severity, stack_rule
from ..support import CONNECTION_PAIR


@stack_rule(
    description="Tunnel interface addresses must be the two hosts of one /30 in 169.254.0.0/16, "
    "outside 169.254.195.0/24.",
    severity=Severity.MEDIUM,
    remediation="Give each connection its own /30 from 169.254.0.0/16 (e.g. 169.254.70.0/30: "
    "gateway .1, customer .2), avoiding 169.254.195.0/24.",
    config={
        "reservedTunnelCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["169.254.195.0/24"],
            "description": "Link-local ranges tunnel interfaces must not use.",
        }
    },
)
def POLICY(rule):
    """Each connection's tunnel ends are distinct hosts of one /30 inside 169.254.0.0/16,
    outside the reserved ranges."""
    reserved = IPSet(rule.config("reservedTunnelCidrs"))
    for pair in rule.resources(CONNECTION_PAIR):
        with rule.guard():
            for index, tunnel in enumerate(pair.props.get("tunnels") or []):
                gateway, customer = tunnel.get("gatewayAddress"), tunnel.get("customerAddress")
                for problem in tunnel_problems(str(gateway), str(customer), reserved):
                    rule.report(pair, f"tunnels[{index}]", f"{gateway} <-> {customer}", problem)
