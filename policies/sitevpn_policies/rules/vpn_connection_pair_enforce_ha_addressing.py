"""vpn-connection-pair-enforce-ha-addressing"""

from ..frame import Severity, stack_rule
from ..support import CONNECTION_PAIR, SITE_CONNECTION, reference


@stack_rule(
    description="Active-active pairs use two gateway IPs toward one customer IP; active/standby "
    "pairs use two distinct customer IPs.",
    severity=Severity.HIGH,
    remediation="Active-active: two gateway members and one customer address. Active/standby: "
    "two customer addresses (two customer gateways or one with two IPs).",
)
def POLICY(rule):
    """Active-active: two distinct gateway services toward one customer address.
    Active/standby: two distinct customer addresses."""
    for pair in rule.resources(CONNECTION_PAIR):
        with rule.guard():
            mode = pair.props.get("haMode")
            connections = rule.children(pair, SITE_CONNECTION)
            if len(connections) != 2:
                continue  # the shared-crypto pair policy reports the count
            peers = [c.props.get("peerAddress") for c in connections]
            services = {reference(c, "vpnserviceId") for c in connections}
            if mode == "active-active":
                if len(set(peers)) != 1:
                    rule.report(
                        pair,
                        "peerAddress",
                        peers,
                        "active-active reaches one customer gateway address",
                    )
                if len(services) != 2:
                    rule.report(
                        pair,
                        "vpnserviceId",
                        "one service",
                        "active-active needs two gateway IPs (two VPN services)",
                    )
            elif mode == "active-standby" and len(set(peers)) != 2:
                rule.report(
                    pair,
                    "peerAddress",
                    peers,
                    "active/standby needs two distinct customer gateway addresses",
                )
