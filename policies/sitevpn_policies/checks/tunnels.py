"""Tunnel interface addresses: /30 link-local pairs."""

from netaddr import IPNetwork, IPSet

LINK_LOCAL = IPNetwork("169.254.0.0/16")


def tunnel_problems(gateway: str, customer: str, reserved: IPSet) -> list[str]:
    """Why a connection's two tunnel interface addresses are unusable (empty when fine)."""
    problems = []
    nets = []
    for side, text in (("gateway", gateway), ("customer", customer)):
        try:
            net = IPNetwork(text, version=4)
        except Exception:
            problems.append(f"{side} address {text!r} is not an IPv4 interface address")
            continue
        if net.prefixlen != 30:
            problems.append(f"{side} address {text} is not a /30")
        elif net.ip in (net.network, net.broadcast):
            problems.append(f"{side} address {text} is not a host address of {net.cidr}")
        if net.cidr not in LINK_LOCAL:
            problems.append(f"{side} address {text} is outside {LINK_LOCAL}")
        elif IPSet([net.cidr]) & reserved:
            problems.append(f"{side} address {text} is in a reserved range ({reserved})")
        nets.append(net)
    if len(nets) == 2 and not problems:
        if nets[0].cidr != nets[1].cidr:
            problems.append(f"the two ends {gateway} and {customer} are not in the same /30")
        elif nets[0].ip == nets[1].ip:
            problems.append(f"both ends use the same address {nets[0].ip}")
    return problems
