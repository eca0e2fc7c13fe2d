"""vpn-connection-pair-enforce-ha-addressing"""

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..support import (
    CONNECTION_PAIR,
    SITE_CONNECTION,
    StackIndex,
    Unknowns,
    each_resource,
    reference,
    violation,
)


def validate(args, report):
    """Active-active: two distinct gateway services toward one customer address.
    Active/standby: two distinct customer addresses."""
    unknowns = Unknowns()
    index = StackIndex(args)
    for pair in each_resource(args, CONNECTION_PAIR):
        with unknowns.guard():
            mode = pair.props.get("haMode")
            connections = index.children_of(pair, SITE_CONNECTION)
            if len(connections) != 2:
                continue  # the shared-crypto pair policy reports the count
            peers = [c.props.get("peerAddress") for c in connections]
            services = {reference(c, "vpnserviceId") for c in connections}
            if mode == "active-active":
                if len(set(peers)) != 1:
                    report(
                        violation(
                            pair.name,
                            pair.resource_type,
                            "peerAddress",
                            peers,
                            "active-active reaches one customer gateway address",
                        ),
                        pair.urn,
                    )
                if len(services) != 2:
                    report(
                        violation(
                            pair.name,
                            pair.resource_type,
                            "vpnserviceId",
                            "one service",
                            "active-active needs two gateway IPs (two VPN services)",
                        ),
                        pair.urn,
                    )
            elif mode == "active-standby" and len(set(peers)) != 2:
                report(
                    violation(
                        pair.name,
                        pair.resource_type,
                        "peerAddress",
                        peers,
                        "active/standby needs two distinct customer gateway addresses",
                    ),
                    pair.urn,
                )
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-connection-pair-enforce-ha-addressing",
    description="Active-active pairs use two gateway IPs toward one customer IP; active/standby "
    "pairs use two distinct customer IPs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Active-active: two gateway members and one customer address. Active/standby: two "
        "customer addresses (two customer gateways or one with two IPs)."
    ),
    validate=validate,
)
