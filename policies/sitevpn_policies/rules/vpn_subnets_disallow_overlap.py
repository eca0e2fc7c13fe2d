"""vpn-subnets-disallow-overlap"""

from ..checks.networks import Tagged, overlapping_pairs, parse_cidr
from ..frame import Severity, stack_rule
from ..support import SITE_CONNECTION, dependency, local_sources, peer_cidrs


def _reason(a: Tagged, b: Tagged) -> str:
    kinds = (a.owner[0], b.owner[0])
    if a.net == b.net:
        if kinds == ("local", "local"):
            return "identical subnets, and local subnets must be unique"
        return "identical subnets, and every subnet routed through the VPN must be unique"
    if kinds == ("local", "local"):
        return "local subnets must not overlap each other"
    if "local" in kinds:
        return "on-premises subnets must not overlap the VPC's local subnets"
    if a.owner != b.owner:
        return "peer subnets of different sites must not overlap"
    return "a site's peer subnets must not overlap each other"


@stack_rule(
    description="On-premises subnets must not overlap the VPC's local subnets or each other "
    "across sites, and local subnets must not overlap each other.",
    severity=Severity.CRITICAL,
    remediation="Renumber the overlapping side, or NAT it on the customer device, so that every "
    "subnet routed through the VPN is unique.",
)
def POLICY(rule):
    """Peer vs local, local vs local, and peer subnets of different sites never overlap.

    One sort-and-sweep over every CIDR of the stack (O(n log n)). Each *source* counts once (a
    VPC subnet seen through both members' groups, a site's peer group used by both connections),
    but every CIDR of a source counts: identical CIDRs are the strongest overlap, not a repeat.
    """
    items: list[Tagged] = []
    seen_sources: set[object] = set()
    for conn in rule.resources(SITE_CONNECTION):
        with rule.guard():
            group = dependency(conn, "localEpGroupId")
            for key, cidr in local_sources(group) if group is not None else []:
                net, _ = parse_cidr(cidr)
                if net is not None and key not in seen_sources:
                    seen_sources.add(key)
                    items.append(Tagged(net, ("local",), f"local subnet {cidr}", group.urn))
        with rule.guard():
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
    by_urn = {r.urn: r for r in rule.args.resources}
    for a, b in overlapping_pairs(items):
        culprit = b if b.owner[0] == "peer" else a
        other = a if culprit is b else b
        rule.report(
            by_urn[culprit.ref],
            "endpoints",
            str(culprit.net),
            f"overlaps {other.label}: {_reason(a, b)}",
        )
