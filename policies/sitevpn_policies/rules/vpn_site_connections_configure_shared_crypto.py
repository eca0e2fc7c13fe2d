"""vpn-site-connections-configure-shared-crypto"""

from ..frame import EnforcementLevel, Severity, stack_rule
from ..support import CONNECTION_PAIR, SITE_CONNECTION, crypto_mismatches, reference


@stack_rule(
    description="Site connections to the same site should negotiate the same IKE and IPsec "
    "settings with the same PSK.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Give both connections of the site IKE and IPsec policies with the same settings "
    "and one PSK (or use site-vpn's VpnConnectionPair).",
)
def POLICY(rule):
    """Raw connections to the same site (same peer group or peer CIDRs) should negotiate the same
    IKE and IPsec settings with one PSK, as the reference recommends for HA pairs."""
    sites: dict[object, list] = {}
    for conn in rule.resources(SITE_CONNECTION):
        if conn.parent is not None and conn.parent.resource_type == CONNECTION_PAIR:
            continue  # site-vpn pairs: the mandatory pair policy judges them
        with rule.guard():
            key = reference(conn, "peerEpGroupId")
            if key[1] is None:
                key = ("cidrs", frozenset(conn.props.get("peerCidrs") or []))
            sites.setdefault(key, []).append(conn)
    for connections in sites.values():
        if len(connections) < 2:
            continue
        with rule.guard():
            names = ", ".join(c.name for c in connections)
            for problem in crypto_mismatches(connections):
                rule.report_text(
                    f"site connections {names} reach the same site but differ: {problem}",
                    connections[0].urn,
                )
