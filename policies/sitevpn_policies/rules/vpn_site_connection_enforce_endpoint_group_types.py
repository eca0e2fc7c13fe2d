"""vpn-site-connection-enforce-endpoint-group-types"""

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..support import SITE_CONNECTION, Unknowns, dependency, each_resource, violation

EXPECTED = {"localEpGroupId": "subnet", "peerEpGroupId": "cidr"}


def validate(args, report):
    """A connection's local group is of type subnet and its peer group of type cidr."""
    unknowns = Unknowns()
    for conn in each_resource(args, SITE_CONNECTION):
        for field, wanted in EXPECTED.items():
            with unknowns.guard():
                group = dependency(conn, field)
                if group is None:
                    continue  # an existing group outside this stack: nothing to judge here
                kind = group.props.get("type")
                if kind != wanted:
                    report(
                        violation(
                            group.name,
                            group.resource_type,
                            "type",
                            kind,
                            f"is used as {field} of {conn.name}, which needs type {wanted}",
                        ),
                        group.urn,
                    )
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-site-connection-enforce-endpoint-group-types",
    description="A site connection's local endpoint group must be type subnet and its peer group "
    "type cidr.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        "Put the VPC's subnet ids in a type=subnet group (subnets attached to the service's "
        "router) and the on-premises CIDRs in a type=cidr group."
    ),
    validate=validate,
)
