"""The pack's contents, as PolicyPack arguments: shared by __main__.py (the engine, publish)
and by in-process evaluation (tests, the offline plan), which must not build a PolicyPack (its
constructor serves gRPC forever)."""

from typing import Any

from pulumi_policy import EnforcementLevel
from sitevpn_policies.rules import (
    vpn_connection_pair_enforce_ha_addressing,
    vpn_connection_pair_enforce_shared_crypto,
    vpn_crypto_policy_disallow_weak_algorithms,
    vpn_crypto_policy_enforce_lifetime,
    vpn_crypto_policy_enforce_strong_dh_group,
    vpn_endpoint_group_enforce_valid_cidrs,
    vpn_gateway_enforce_interconnect_capacity,
    vpn_ike_policy_enforce_ikev2,
    vpn_ipsec_policy_enforce_esp_tunnel,
    vpn_peer_subnets_disallow_connected_overlap,
    vpn_peer_subnets_disallow_reserved_ranges,
    vpn_site_connection_enforce_admin_state_up,
    vpn_site_connection_enforce_dpd,
    vpn_site_connection_enforce_endpoint_group_types,
    vpn_site_connection_enforce_endpoint_groups,
    vpn_site_connection_enforce_mtu,
    vpn_site_connection_enforce_psk_strength,
    vpn_site_connection_enforce_public_peer_address,
    vpn_site_connections_configure_shared_crypto,
    vpn_subnets_disallow_overlap,
    vpn_tunnel_addresses_disallow_reuse,
    vpn_tunnel_addresses_enforce_link_local_30,
)

RULES = [
    vpn_ike_policy_enforce_ikev2,
    vpn_crypto_policy_disallow_weak_algorithms,
    vpn_crypto_policy_enforce_strong_dh_group,
    vpn_crypto_policy_enforce_lifetime,
    vpn_ipsec_policy_enforce_esp_tunnel,
    vpn_site_connection_enforce_psk_strength,
    vpn_site_connection_enforce_dpd,
    vpn_site_connection_enforce_mtu,
    vpn_site_connection_enforce_admin_state_up,
    vpn_site_connection_enforce_endpoint_groups,
    vpn_site_connection_enforce_public_peer_address,
    vpn_endpoint_group_enforce_valid_cidrs,
    vpn_peer_subnets_disallow_reserved_ranges,
    vpn_peer_subnets_disallow_connected_overlap,
    vpn_site_connection_enforce_endpoint_group_types,
    vpn_subnets_disallow_overlap,
    vpn_gateway_enforce_interconnect_capacity,
    vpn_tunnel_addresses_enforce_link_local_30,
    vpn_tunnel_addresses_disallow_reuse,
    vpn_connection_pair_enforce_shared_crypto,
    vpn_site_connections_configure_shared_crypto,
    vpn_connection_pair_enforce_ha_addressing,
]


def pack_args() -> dict[str, Any]:
    """Keyword arguments for pulumi_policy.PolicyPack."""
    return {
        "name": "site-vpn",
        "description": "Documented OpenStack VPNaaS constraints for site-to-site IPsec VPNs.",
        "policies": [rule.POLICY for rule in RULES],
        # Every policy sets its own level; this only applies to none.
        "enforcement_level": EnforcementLevel.ADVISORY,
    }
