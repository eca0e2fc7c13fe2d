"""Guarded deletes: what the last deployment holds that this stack file would delete, and
whether the stack file acknowledges it (pure: no Pulumi import).

The last deployment is read from the stack's own outputs (``sites``, ``gatewayMembers`` and
``vpcSubnets``):
the engine deletes whatever the program no longer registers, so the program must refuse before
it registers anything.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


class Acknowledged(Protocol):
    """The stack file's ``removals`` block: keys whose deletion this update may carry out."""

    sites: Sequence[str]
    members: Sequence[str]
    subnets: Sequence[str]


@dataclass(frozen=True)
class Deployed:
    """What the stack's last deployment exported."""

    sites: tuple[str, ...]
    """Site keys."""
    members: Mapping[str, str | None] | None
    """Gateway member -> its EIP, in the file's order (None: a deployment from before site-vpn
    exported them)."""
    attachments: Mapping[str, str]
    """Gateway member -> how its router reaches the local subnets (interface or port)."""
    subnets: Mapping[str, bool] | None = None
    """VPC subnet -> whether the stack created it (None: a deployment from before site-vpn
    exported them)."""


def deployed(outputs: Mapping[str, object] | None) -> Deployed:
    """The last deployment from the stack's outputs (nothing for a stack never deployed)."""
    outputs = outputs or {}
    sites = outputs.get("sites") or []
    members = outputs.get("gatewayMembers")
    members = [m for m in members if isinstance(m, Mapping)] if isinstance(members, list) else None
    subnets = outputs.get("vpcSubnets")
    subnets = [s for s in subnets if isinstance(s, Mapping)] if isinstance(subnets, list) else None
    return Deployed(
        sites=tuple(s["name"] for s in sites if isinstance(s, Mapping) and "name" in s),
        members=None if members is None else {m["name"]: m.get("eip") for m in members},
        attachments={m["name"]: m["attach"] for m in members or () if m.get("attach")},
        subnets=None if subnets is None else {s["name"]: bool(s.get("created")) for s in subnets},
    )


def unacknowledged(
    stack: str,
    last: Deployed,
    sites: Sequence[tuple[str, Sequence[str]]],
    members: Sequence[str],
    subnets: Sequence[str],
    acknowledged: Acknowledged,
) -> list[str]:
    """One message per deployed site, member or VPC subnet that this stack file drops without
    saying so.

    ``sites``: (key, former keys) of every site in the file; a former key is a rename, not a
    removal."""
    kept = {key for key, _ in sites} | {old for _, former in sites for old in former}
    problems = [
        f"stack '{stack}': site '{site}' is deployed but no longer in site-vpn:sites; removing "
        "it deletes its two connections (both tunnels) and its customer gateway. To remove it, "
        f"add '{site}' to site-vpn:removals.sites for this update; if it was renamed, declare "
        "renamedFrom on the new key; otherwise put it back"
        for site in last.sites
        if site not in kept and site not in acknowledged.sites
    ]
    problems += [
        f"stack '{stack}': gateway member '{member}' (EIP {eip or 'unknown'}) is deployed but "
        "no longer in site-vpn:gateway.members; removing it deletes its router and VPN service "
        f"and releases the EIP for good. To remove it, add '{member}' to "
        "site-vpn:removals.members for this update; otherwise put it back"
        for member, eip in (last.members or {}).items()
        if member not in members and member not in acknowledged.members
    ]
    problems += [
        f"stack '{stack}': VPC subnet '{subnet}' is deployed but no longer in "
        f"site-vpn:vpc.subnets; removing it "
        + (
            "deletes the subnet the stack created (Neutron refuses while anything uses it, "
            "half-way through the update)"
            if created
            else "detaches it from the gateway routers: its traffic to every site stops"
        )
        + f". To remove it, add '{subnet}' to site-vpn:removals.subnets for this update; "
        "otherwise put it back"
        for subnet, created in (last.subnets or {}).items()
        if subnet not in subnets and subnet not in acknowledged.subnets
    ]
    return problems


def moved_attachments(
    stack: str, last: Deployed, attachments: Sequence[tuple[str, str]]
) -> list[str]:
    """One message per deployed member whose router would reach the local subnets another way
    (reordered members: the first member of a created VPC takes the subnets' gateway IP). The
    update would fail half-way: Neutron refuses a second router port on one subnet, or moves
    the gateway IP under live traffic."""
    return [
        f"stack '{stack}': gateway member '{member}' is deployed with attach '{before}' but "
        f"this stack file gives it '{now}' (were the members reordered?); the update would fail "
        "half-way with a second router port on one subnet. Keep the deployed order, or set "
        f"site-vpn:gateway.members[].attach to what each member is deployed with"
        for member, now in attachments
        if (before := last.attachments.get(member)) is not None and before != now
    ]


def stale(last: Deployed, acknowledged: Acknowledged) -> list[str]:
    """Acknowledged removals of things the last deployment does not hold (already removed)."""
    out = [f"sites: {s}" for s in acknowledged.sites if s not in last.sites]
    if last.members is not None:
        out += [f"members: {m}" for m in acknowledged.members if m not in last.members]
    if last.subnets is not None:
        out += [f"subnets: {s}" for s in acknowledged.subnets if s not in last.subnets]
    return out
