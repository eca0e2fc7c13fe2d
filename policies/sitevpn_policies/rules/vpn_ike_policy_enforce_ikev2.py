"""vpn-ike-policy-enforce-ikev2"""

from ..frame import Severity, resource_rule
from ..support import IKE_POLICY


@resource_rule(
    types={IKE_POLICY},
    description="IKE policies must negotiate IKEv2.",
    severity=Severity.HIGH,
    remediation="Set ike_version='v2' on the openstack.vpnaas.IkePolicy (pulumi-openstack "
    "defaults to v1). If the customer device cannot do IKEv2, set allowIkeV1: true for this "
    "policy in the policy pack config.",
    config={
        "allowIkeV1": {
            "type": "boolean",
            "default": False,
            "description": "Allow IKEv1 for peers that cannot speak IKEv2.",
        }
    },
)
def POLICY(rule):
    """IKEv1 is refused unless the pack config allows it."""
    version = rule.prop("ikeVersion")
    if version != "v2" and not rule.config("allowIkeV1"):
        rule.report("ikeVersion", version, "only IKEv2 is allowed")
