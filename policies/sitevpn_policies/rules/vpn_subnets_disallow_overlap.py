"""vpn-subnets-disallow-overlap"""

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..checks.networks import Tagged, overlapping_pairs, parse_cidr
from ..support import (
    SITE_CONNECTION,
    Unknowns,
    dependency,
    each_resource,
    local_cidrs,
    peer_cidrs,
    violation,
)


def validate(args, report):
    """Peer vs local, local vs local, and peer subnets of different sites never overlap.

    One sort-and-sweep over every CIDR of the stack (O(n log n)). Identical local CIDRs are one
    subnet seen through several groups; identical peer sets are one site behind two connections.
    """
    unknowns = Unknowns()
    items: list[Tagged] = []
    seen_local: set[str] = set()
    seen_sites: set[frozenset[str]] = set()
    for conn in each_resource(args, SITE_CONNECTION):
        with unknowns.guard():
            group = dependency(conn, "localEpGroupId")
            for cidr in (local_cidrs(group) if group is not None else None) or []:
                net, _ = parse_cidr(cidr)
                if net is not None and cidr not in seen_local:
                    seen_local.add(cidr)
                    items.append(Tagged(net, ("local",), f"local subnet {cidr}", group.urn))
        with unknowns.guard():
            cidrs = peer_cidrs(conn)
            site = frozenset(cidrs)
            if site in seen_sites:
                continue
            seen_sites.add(site)
            source = dependency(conn, "peerEpGroupId") or conn
            for cidr in cidrs:
                net, _ = parse_cidr(cidr)
                if net is not None:
                    items.append(
                        Tagged(
                            net, ("peer", site), f"peer subnet {cidr} of {source.name}", source.urn
                        )
                    )
    by_urn = {r.urn: r for r in args.resources}
    for a, b in overlapping_pairs(items):
        kinds = (a.owner[0], b.owner[0])
        if kinds == ("local", "local"):
            reason = "local subnets must not overlap each other"
        elif "local" in kinds:
            reason = "on-premises subnets must not overlap the VPC's local subnets"
        elif a.owner != b.owner:
            reason = "peer subnets of different sites must not overlap"
        else:
            reason = "a site's peer subnets must not overlap each other"
        culprit = b if b.owner[0] == "peer" else a
        other = a if culprit is b else b
        resource = by_urn.get(culprit.ref)
        name = resource.name if resource else culprit.ref
        type_ = resource.resource_type if resource else ""
        report(
            violation(
                name, type_, "endpoints", str(culprit.net), f"overlaps {other.label}: {reason}"
            ),
            culprit.ref,
        )
    unknowns.finish()


POLICY = StackValidationPolicy(
    name="vpn-subnets-disallow-overlap",
    description="On-premises subnets must not overlap the VPC's local subnets or each other across "
    "sites, and local subnets must not overlap each other.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        "Renumber the overlapping side, or NAT it on the customer device, so that every subnet "
        "routed through the VPN is unique."
    ),
    validate=validate,
)
