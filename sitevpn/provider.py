"""The component provider: every public component, served to other languages.

The schema is inferred from the components' type annotations by the Pulumi SDK; the SDK does not
infer secrecy, so the PSK (and everything that carries it) is marked secret here, and the
version comes from one place: the project's version in pyproject.toml.
"""

import json
import sys
from importlib import metadata
from typing import Any

import pulumi.provider
from pulumi.provider.experimental.component import ComponentProvider

from sitevpn.customer_gateway import CustomerGateway
from sitevpn.site_vpn import SiteVpn
from sitevpn.vpc import Vpc
from sitevpn.vpn_connection_pair import VpnConnectionPair
from sitevpn.vpn_gateway import VpnGateway

NAME = "sitevpn"
COMPONENTS = [SiteVpn, VpnGateway, CustomerGateway, VpnConnectionPair, Vpc]
# Properties that carry the PSK, wherever they appear (inputs, outputs, nested types).
SECRET_PROPERTIES = frozenset({"psk", "psks", "devicePsks", "deviceConfigs"})


def project_version() -> str:
    """The installed package's version (pyproject.toml's), the provider's only version source."""
    return metadata.version("site-vpn")


def _mark_secrets(schema: dict[str, Any]) -> dict[str, Any]:
    for resource in schema.get("resources", {}).values():
        for section in ("inputProperties", "properties"):
            for key, spec in resource.get(section, {}).items():
                if key in SECRET_PROPERTIES:
                    spec["secret"] = True
    for type_spec in schema.get("types", {}).values():
        for key, spec in type_spec.get("properties", {}).items():
            if key in SECRET_PROPERTIES:
                spec["secret"] = True
    return schema


class SiteVpnProvider(ComponentProvider):
    """ComponentProvider for site-vpn's components, with secret PSK properties."""

    def __init__(self) -> None:
        super().__init__(COMPONENTS, NAME, version=project_version())
        schema = _mark_secrets(json.loads(self.schema or "{}"))
        schema["description"] = (
            "Site-to-site IPsec VPN between an on-premises data center and an OpenStack VPC "
            "(neutron VPNaaS): gateway, customer gateways, connection pairs, hub-and-spoke."
        )
        schema["repository"] = "https://github.com/site-vpn/site-vpn"
        # Go's codegen (3.259) refers to an input type (VpcSubnetArgsArgs, PairConnectionArgsArgs)
        # that it generates only on request for types used solely as plain values, and the SDK
        # then does not compile (seen with `pulumi package add` from Go).
        schema.setdefault("language", {}).setdefault("go", {})["generateExtraInputTypes"] = True
        self.schema = json.dumps(schema)

    def schema_document(self) -> dict[str, Any]:
        """The schema as a dict."""
        return json.loads(self.schema or "{}")


def main() -> None:
    """Serve the provider to the engine (the plugin folder's entry point).

    What pulumi.provider.experimental.component_provider_host does, with site-vpn's provider
    subclass: the host offers no hook to mark the PSK secret in the inferred schema.
    """
    pulumi.provider.main(SiteVpnProvider(), sys.argv[1:])
