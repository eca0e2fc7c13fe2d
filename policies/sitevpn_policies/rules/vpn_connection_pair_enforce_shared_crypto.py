"""vpn-connection-pair-enforce-shared-crypto"""

from ..frame import Severity, stack_rule
from ..support import CONNECTION_PAIR, SITE_CONNECTION, crypto_mismatches


@stack_rule(
    description="The two connections of a site-vpn connection pair must negotiate the same IKE "
    "and IPsec settings with one PSK, unless the pair declares a PSK per connection.",
    severity=Severity.HIGH,
    remediation="Build pairs with VpnConnectionPair (it shares them by construction); do not "
    "override one connection's policy or PSK through transformations.",
)
def POLICY(rule):
    """Both connections of a site-vpn pair negotiate the same IKE and IPsec settings (compared
    by value, not by policy object) with one PSK, unless the pair's ``pskScope`` is
    ``connection`` (each connection its own key, as declared)."""
    for pair in rule.resources(CONNECTION_PAIR):
        with rule.guard():
            connections = rule.children(pair, SITE_CONNECTION)
            if len(connections) != 2:
                rule.report(
                    pair, "connections", len(connections), "a pair has exactly two site connections"
                )
                continue
            shared = pair.props.get("pskScope") != "connection"
            for problem in crypto_mismatches(connections, psk=shared):
                rule.report_text(f"{pair.name} (VpnConnectionPair): {problem}", pair.urn)
