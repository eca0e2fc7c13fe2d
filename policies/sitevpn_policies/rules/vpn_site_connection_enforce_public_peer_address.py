"""vpn-site-connection-enforce-public-peer-address"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ..checks.networks import is_fqdn, is_public_unicast
from ..support import SITE_CONNECTION, resource_policy_for, violation


@resource_policy_for({SITE_CONNECTION})
def validate(args, report):
    """The customer gateway address is a public unicast IPv4 address or an FQDN."""
    address = args.props.get("peerAddress")
    if not isinstance(address, str) or not (is_public_unicast(address) or is_fqdn(address)):
        report(
            violation(
                args.name,
                args.resource_type,
                "peerAddress",
                address,
                "must be a public unicast IPv4 address or an FQDN (not private, shared, "
                "loopback, link-local, multicast, reserved or documentation)",
            )
        )


POLICY = ResourceValidationPolicy(
    name="vpn-site-connection-enforce-public-peer-address",
    description="The customer gateway address must be a public unicast IPv4 address or an FQDN.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Use the customer gateway's carrier-assigned public address (or its DNS name) as "
        "peer_address; private addresses are not reachable from the gateway's EIP."
    ),
    validate=validate,
)
