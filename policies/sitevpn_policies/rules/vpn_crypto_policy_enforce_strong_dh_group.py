"""vpn-crypto-policy-enforce-strong-dh-group"""

from ..frame import Severity, resource_rule
from ..support import IKE_POLICY, IPSEC_POLICY


@resource_rule(
    types={IKE_POLICY, IPSEC_POLICY},
    description="IKE and IPsec PFS Diffie-Hellman groups must be 14 or stronger.",
    severity=Severity.HIGH,
    remediation="Set pfs to group14 or stronger (site-vpn uses group15) on the IkePolicy and on "
    "the IpSecPolicy; pulumi-openstack defaults to group5. Adjust allowedDhGroups in the policy "
    "config to change the allow-list.",
    config={
        "allowedDhGroups": {
            "type": "array",
            "items": {"type": "string", "pattern": "^group[0-9]+$"},
            "default": ["group14", "group15", "group16", "group19", "group20", "group21"],
            "description": "Diffie-Hellman groups allowed for IKE and for IPsec PFS.",
        }
    },
)
def POLICY(rule):
    """The IKE DH group and the IPsec PFS group must be in the allow-list."""
    group = rule.prop("pfs")
    allowed = rule.config("allowedDhGroups")
    if group not in allowed:
        what = "IKE Diffie-Hellman group" if rule.type == IKE_POLICY else "IPsec PFS group"
        rule.report("pfs", group, f"{what} must be one of {', '.join(allowed)}")
