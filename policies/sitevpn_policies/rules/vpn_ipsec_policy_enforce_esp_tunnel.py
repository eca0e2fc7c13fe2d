"""vpn-ipsec-policy-enforce-esp-tunnel"""

from ..frame import Severity, resource_rule
from ..support import IPSEC_POLICY

REQUIRED = {
    "transformProtocol": ("esp", "the strongSwan/Libreswan drivers support esp only"),
    "encapsulationMode": ("tunnel", "site-to-site traffic needs tunnel mode"),
}


@resource_rule(
    types={IPSEC_POLICY},
    description="IPsec policies must use the esp transform in tunnel mode.",
    severity=Severity.HIGH,
    remediation="Set transform_protocol='esp' and encapsulation_mode='tunnel' on the IpSecPolicy.",
)
def POLICY(rule):
    """Transform esp and encapsulation tunnel."""
    for field, (wanted, why) in REQUIRED.items():
        with rule.guard():
            value = rule.prop(field)
            if value != wanted:
                rule.report(field, value, f"must be {wanted}: {why}")
