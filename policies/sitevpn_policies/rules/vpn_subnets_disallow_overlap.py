"""vpn-subnets-disallow-overlap"""

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ..checks.networks import Tagged, overlapping_pairs, parse_cidr
from ..support import (
    SITE_CONNECTION,
    Unknowns,
    dependency,
    each_resource,
    local_sources,
    peer_cidrs,
    violation,
)


def validate(args, report):
    """Peer vs local, local vs local, and peer subnets of different sites never overlap.

    One sort-and-sweep over every CIDR of the stack (O(n log n)). Each *source* counts once (a
    VPC subnet seen through both members' groups, a site's peer group used by both connections),
    but every CIDR of a source counts: identical CIDRs are the strongest overlap, not a repeat.
    """
    unknowns = Unknowns()
    items: list[Tagged] = []
    seen_sources: set[object] = set()
    for conn in each_resource(args, SITE_CONNECTION):
        with unknowns.guard():
            group = dependency(conn, "localEpGroupId")
            for key, cidr in local_sources(group) if group is not None else []:
                net, _ = parse_cidr(cidr)
                if net is not None and key not in seen_sources:
                    seen_sources.add(key)
                    items.append(Tagged(net, ("local",), f"local subnet {cidr}", group.urn))
        with unknowns.guard():
            cidrs = peer_cidrs(conn)
            peer_group = dependency(conn, "peerEpGroupId")
            # without a peer group (legacy peer_cidrs) a site is known only by its CIDRs
            site = ("peer", peer_group.urn if peer_group else frozenset(cidrs))
            if site in seen_sources:
                continue
            seen_sources.add(site)
            source = peer_group or conn
            for cidr in cidrs:
                net, _ = parse_cidr(cidr)
                if net is not None:
                    items.append(
                        Tagged(net, site, f"peer subnet {cidr} of {source.name}", source.urn)
                    )
    by_urn = {r.urn: r for r in args.resources}
    for a, b in overlapping_pairs(items):
        kinds = (a.owner[0], b.owner[0])
        if a.net == b.net:
            reason = "identical subnets"
            reason += (
                ", and local subnets must be unique"
                if kinds == ("local", "local")
                else ", and every subnet routed through the VPN must be unique"
            )
        elif kinds == ("local", "local"):
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
