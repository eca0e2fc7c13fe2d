"""vpn-site-connections-configure-shared-crypto"""

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..support import (
    CONNECTION_PAIR,
    SITE_CONNECTION,
    Unknowns,
    crypto_mismatches,
    each_resource,
    reference,
)


def validate(args, report):
    """Raw connections to the same site (same peer group or peer CIDRs) should share IKE policy,
    IPsec policy and PSK, as the reference recommends for HA pairs."""
    unknowns = Unknowns()
    sites: dict[object, list] = {}
    for conn in each_resource(args, SITE_CONNECTION):
        if conn.parent is not None and conn.parent.resource_type == CONNECTION_PAIR:
            continue  # site-vpn pairs: the mandatory pair policy judges them
        with unknowns.guard():
            key = reference(conn, "peerEpGroupId")
            if key[1] is None:
                key = ("cidrs", frozenset(conn.props.get("peerCidrs") or []))
            sites.setdefault(key, []).append(conn)
    for connections in sites.values():
        if len(connections) < 2:
            continue
        with unknowns.guard():
            names = ", ".join(c.name for c in connections)
            for problem in crypto_mismatches(connections):
                report(
                    f"site connections {names} reach the same site but differ: {problem}",
                    connections[0].urn,
                )
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-site-connections-configure-shared-crypto",
    description="Site connections to the same site should use the same IKE policy, IPsec policy "
    "and PSK.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Reference one IkePolicy, one IpSecPolicy and one PSK from both connections of the "
        "site (or use site-vpn's VpnConnectionPair)."
    ),
    validate=validate,
)
