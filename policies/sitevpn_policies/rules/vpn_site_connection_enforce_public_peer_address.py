"""vpn-site-connection-enforce-public-peer-address"""

from ..checks.networks import is_fqdn, is_public_unicast
from ..frame import Severity, resource_rule
from ..support import SITE_CONNECTION


@resource_rule(
    types={SITE_CONNECTION},
    description="The customer gateway address must be a public unicast IPv4 address or an FQDN.",
    severity=Severity.HIGH,
    remediation="Use the customer gateway's carrier-assigned public address (or its DNS name) "
    "as peer_address; private addresses are not reachable from the gateway's EIP.",
)
def POLICY(rule):
    """The customer gateway address is a public unicast IPv4 address or an FQDN."""
    address = rule.props.get("peerAddress")
    if not isinstance(address, str) or not (is_public_unicast(address) or is_fqdn(address)):
        rule.report(
            "peerAddress",
            address,
            "must be a public unicast IPv4 address or an FQDN (not private, shared, loopback, "
            "link-local, multicast, reserved or documentation)",
        )
