"""site-vpn: Pulumi components, stack config, site design and customer device configs for
site-to-site IPsec VPNs between on-premises data centers and an OpenStack VPC.

``from sitevpn import SiteVpn`` (and the other components) imports the Pulumi SDK and
pulumi-openstack on first use only, so the CLI and the pure modules stay quick to import.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "SiteVpn": "sitevpn.site_vpn",
    "SiteVpnArgs": "sitevpn.site_vpn",
    "VpnGateway": "sitevpn.vpn_gateway",
    "VpnGatewayArgs": "sitevpn.vpn_gateway",
    "CustomerGateway": "sitevpn.customer_gateway",
    "CustomerGatewayArgs": "sitevpn.customer_gateway",
    "VpnConnectionPair": "sitevpn.vpn_connection_pair",
    "VpnConnectionPairArgs": "sitevpn.vpn_connection_pair",
    "Vpc": "sitevpn.vpc",
    "VpcArgs": "sitevpn.vpc",
    "StackConfig": "sitevpn.config",
    "ConfigError": "sitevpn.config",
    "HaMode": "sitevpn.enums",
    "SubnetAttachment": "sitevpn.enums",
    "SiteDesign": "sitevpn.design",
    "resolve_site": "sitevpn.design",
    "render_swanctl": "sitevpn.device_config",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sitevpn' has no attribute {name!r}")
