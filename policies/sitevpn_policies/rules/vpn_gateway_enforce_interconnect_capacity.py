"""vpn-gateway-enforce-interconnect-capacity"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    Severity,
    StackValidationPolicy,
)

from ..checks.networks import assignable_addresses, parse_cidr
from ..support import VPN_GATEWAY, Unknowns, config, each_resource, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "minAssignableAddresses": {
            "type": "integer",
            "minimum": 1,
            "default": 4,
            "description": "Addresses the interconnection subnet must offer.",
        }
    }
)


def validate(args, report):
    """The gateway's interconnection subnet is an IPv4 CIDR with enough assignable addresses."""
    unknowns = Unknowns()
    wanted = config(args, SCHEMA, "minAssignableAddresses")
    for gateway in each_resource(args, VPN_GATEWAY):
        with unknowns.guard():
            text = gateway.props.get("interconnectSubnet")
            net, reason = parse_cidr(text)
            if reason:
                report(
                    violation(
                        gateway.name, gateway.resource_type, "interconnectSubnet", text, reason
                    ),
                    gateway.urn,
                )
            elif assignable_addresses(net) < wanted:
                report(
                    violation(
                        gateway.name,
                        gateway.resource_type,
                        "interconnectSubnet",
                        text,
                        f"offers {assignable_addresses(net)} assignable addresses, "
                        f"needs at least {wanted:g}",
                    ),
                    gateway.urn,
                )
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-gateway-enforce-interconnect-capacity",
    description="The VPN gateway's interconnection subnet must have at least 4 assignable "
    "addresses.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Choose an interconnection subnet of /29 or larger (network, gateway and broadcast "
        "addresses are not assignable)."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
