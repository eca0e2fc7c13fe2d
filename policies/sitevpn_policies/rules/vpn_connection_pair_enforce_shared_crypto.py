"""vpn-connection-pair-enforce-shared-crypto"""

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..support import (
    CONNECTION_PAIR,
    SITE_CONNECTION,
    StackIndex,
    Unknowns,
    crypto_mismatches,
    each_resource,
    violation,
)


def validate(args, report):
    """Both connections of a site-vpn pair share one IKE policy, one IPsec policy and one PSK."""
    unknowns = Unknowns()
    index = StackIndex(args)
    for pair in each_resource(args, CONNECTION_PAIR):
        with unknowns.guard():
            connections = index.children_of(pair, SITE_CONNECTION)
            if len(connections) != 2:
                report(
                    violation(
                        pair.name,
                        pair.resource_type,
                        "connections",
                        len(connections),
                        "a pair has exactly two site connections",
                    ),
                    pair.urn,
                )
                continue
            for problem in crypto_mismatches(connections):
                report(f"{pair.name} (VpnConnectionPair): {problem}", pair.urn)
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-connection-pair-enforce-shared-crypto",
    description="The two connections of a site-vpn connection pair must share IKE policy, IPsec "
    "policy and PSK.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Build pairs with VpnConnectionPair (it shares them by construction); do not override "
        "one connection's policy or PSK through transformations."
    ),
    validate=validate,
)
