"""vpn-crypto-policy-disallow-weak-algorithms"""

from ..frame import Severity, resource_rule
from ..support import IKE_POLICY, IPSEC_POLICY


@resource_rule(
    types={IKE_POLICY, IPSEC_POLICY},
    description="IKE and IPsec policies must not use sha1/md5 integrity or 3des/des encryption.",
    severity=Severity.HIGH,
    remediation="Set auth_algorithm (e.g. sha256) and encryption_algorithm (e.g. aes-256) "
    "explicitly on the IkePolicy and IpSecPolicy: pulumi-openstack defaults to sha1 and aes-128, "
    "and current neutron-vpnaas rejects sha1 outright.",
    config={
        "disallowedAuthAlgorithms": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["sha1", "md5"],
            "description": "Integrity algorithms that are refused.",
        },
        "disallowedEncryptionAlgorithms": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["3des", "des"],
            "description": "Encryption algorithms that are refused.",
        },
    },
)
def POLICY(rule):
    """Refuse weak integrity and encryption algorithms on IKE and IPsec policies."""
    for field, key in (
        ("authAlgorithm", "disallowedAuthAlgorithms"),
        ("encryptionAlgorithm", "disallowedEncryptionAlgorithms"),
    ):
        with rule.guard():
            value = rule.prop(field)
            if value in rule.config(key):
                rule.report(field, value, "is a weak algorithm")
