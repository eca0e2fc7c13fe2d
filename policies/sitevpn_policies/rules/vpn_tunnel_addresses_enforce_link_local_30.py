"""vpn-tunnel-addresses-enforce-link-local-30"""

from netaddr import IPSet
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    Severity,
    StackValidationPolicy,
)

from ..checks.tunnels import tunnel_problems
from ..support import CONNECTION_PAIR, Unknowns, config, each_resource, violation

SCHEMA = PolicyConfigSchema(
    properties={
        "reservedTunnelCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["169.254.195.0/24"],
            "description": "Link-local ranges tunnel interfaces must not use.",
        }
    }
)


def validate(args, report):
    """Each connection's tunnel ends are distinct hosts of one /30 inside 169.254.0.0/16,
    outside the reserved ranges."""
    unknowns = Unknowns()
    reserved = IPSet(config(args, SCHEMA, "reservedTunnelCidrs"))
    for pair in each_resource(args, CONNECTION_PAIR):
        with unknowns.guard():
            for index, tunnel in enumerate(pair.props.get("tunnels") or []):
                gateway, customer = tunnel.get("gatewayAddress"), tunnel.get("customerAddress")
                for problem in tunnel_problems(str(gateway), str(customer), reserved):
                    report(
                        violation(
                            pair.name,
                            pair.resource_type,
                            f"tunnels[{index}]",
                            f"{gateway} <-> {customer}",
                            problem,
                        ),
                        pair.urn,
                    )
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-tunnel-addresses-enforce-link-local-30",
    description="Tunnel interface addresses must be the two hosts of one /30 in 169.254.0.0/16, "
    "outside 169.254.195.0/24.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        "Give each connection its own /30 from 169.254.0.0/16 (e.g. 169.254.70.0/30: gateway "
        ".1, customer .2), avoiding 169.254.195.0/24."
    ),
    config_schema=SCHEMA,
    validate=validate,
)
