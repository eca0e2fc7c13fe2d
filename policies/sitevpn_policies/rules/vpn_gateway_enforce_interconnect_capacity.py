"""vpn-gateway-enforce-interconnect-capacity"""

from ..checks.networks import assignable_addresses, parse_cidr
from ..frame import Severity, stack_rule
from ..support import VPN_GATEWAY


@stack_rule(
    description="The VPN gateway's interconnection subnet must have at least 4 assignable "
    "addresses.",
    severity=Severity.MEDIUM,
    remediation="Choose an interconnection subnet of /29 or larger (network, gateway and "
    "broadcast addresses are not assignable).",
    config={
        "minAssignableAddresses": {
            "type": "integer",
            "minimum": 1,
            "default": 4,
            "description": "Addresses the interconnection subnet must offer.",
        }
    },
)
def POLICY(rule):
    """The gateway's interconnection subnet is an IPv4 CIDR with enough assignable addresses."""
    wanted = rule.config("minAssignableAddresses")
    for gateway in rule.resources(VPN_GATEWAY):
        with rule.guard():
            text = gateway.props.get("interconnectSubnet")
            net, reason = parse_cidr(text)
            if reason:
                rule.report(gateway, "interconnectSubnet", text, reason)
            elif assignable_addresses(net) < wanted:
                rule.report(
                    gateway,
                    "interconnectSubnet",
                    text,
                    f"offers {assignable_addresses(net)} assignable addresses, "
                    f"needs at least {wanted:g}",
                )
