"""Pure design logic: which member talks to which customer IP, and tunnel address math.

No Pulumi import: these functions are tested with tables and hypothesis.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from netaddr import IPAddress, IPNetwork

from sitevpn.enums import HaMode, Initiator


@dataclass(frozen=True)
class PairRole:
    """The role of one connection of a pair."""

    key: str
    role: str
    initiator: Initiator


PAIR_ROLES: dict[HaMode, tuple[PairRole, PairRole]] = {
    HaMode.ACTIVE_ACTIVE: (
        PairRole("conn1", "active", Initiator.BI_DIRECTIONAL),
        PairRole("conn2", "active", Initiator.BI_DIRECTIONAL),
    ),
    # The standby only answers, so the customer's active link carries traffic and traffic
    # returns to it after recovery.
    HaMode.ACTIVE_STANDBY: (
        PairRole("conn1", "active", Initiator.BI_DIRECTIONAL),
        PairRole("conn2", "standby", Initiator.RESPONSE_ONLY),
    ),
}


@dataclass(frozen=True)
class ConnectionPlan:
    """One connection of a pair: which gateway member and which customer address."""

    role: PairRole
    member: str
    customer_address: str


def connection_plan(
    ha_mode: HaMode, members: Sequence[str], customer_addresses: Sequence[str]
) -> tuple[ConnectionPlan, ConnectionPlan]:
    """Map a pair onto gateway members and customer addresses.

    Active-active: member 1 and member 2 both reach the one customer address.
    Active/standby: connection 1 reaches customer address 1 and connection 2 customer
    address 2; with one member the standby shares it, with two it uses the second.
    """
    if not 1 <= len(members) <= 2:
        raise ValueError(f"a gateway has one or two members, got {len(members)}")
    if ha_mode == HaMode.ACTIVE_ACTIVE:
        if len(members) != 2:
            raise ValueError("active-active needs two gateway members (two EIPs)")
        if len(customer_addresses) != 1:
            raise ValueError("active-active needs exactly one customer gateway address")
        peers = (customer_addresses[0], customer_addresses[0])
    else:
        if len(customer_addresses) != 2:
            raise ValueError("active-standby needs two customer gateway addresses")
        peers = (customer_addresses[0], customer_addresses[1])
    chosen = (members[0], members[-1])
    first, second = (
        ConnectionPlan(role, member, peer)
        for role, member, peer in zip(PAIR_ROLES[ha_mode], chosen, peers, strict=True)
    )
    return first, second


def tunnel_other_end(address: str) -> str:
    """The other host address of a /30 tunnel interface, in interface notation."""
    net = IPNetwork(address)
    if net.prefixlen != 30:
        raise ValueError(f"{address} is not a /30 interface address")
    hosts = [IPAddress(net.first + 1), IPAddress(net.first + 2)]
    if net.ip not in hosts:
        raise ValueError(f"{address} is not a host address of {net.cidr}")
    other = hosts[1] if net.ip == hosts[0] else hosts[0]
    return f"{other}/30"


def cidr_slug(cidr: str) -> str:
    """A CIDR as a URN-safe, stable name fragment: 172.16.0.0/16 -> 172-16-0-0-16."""
    net = IPNetwork(cidr)
    return f"{net.network}-{net.prefixlen}".replace(".", "-").replace(":", "-")


def name_clashes(keys: Sequence[tuple[str, ...]]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Pairs of different key combinations whose ``-``-joined resource names are equal.

    Child names join stable keys with ``-`` (``f"{member}-{subnet}"``), and keys may contain
    ``-``: member ``a`` with subnet ``b-c`` and member ``a-b`` with subnet ``c`` would register
    the same URN twice. The joined name is kept (renaming would change deployed URNs); clashing
    combinations are refused before anything is registered.
    """
    first: dict[str, tuple[str, ...]] = {}
    clashes = []
    for combo in keys:
        joined = "-".join(combo)
        if joined in first and first[joined] != combo:
            clashes.append((first[joined], combo))
        first.setdefault(joined, combo)
    return clashes


def clash_message(what: tuple[str, str], clash: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    """'member 'a' with subnet 'b-c' and member 'a-b' with subnet 'c' give their resources one
    name (a-b-c)' for a clash found by :func:`name_clashes`."""
    (a1, b1), (a2, b2) = clash
    return (
        f"{what[0]} {a1!r} with {what[1]} {b1!r} and {what[0]} {a2!r} with {what[1]} {b2!r} "
        f"give their resources one name ({a1}-{b1})"
    )


def refuse_name_clashes(owner: str, what: tuple[str, str], keys: Sequence[tuple[str, str]]) -> None:
    """Raise ValueError, before anything is registered, when two key combinations of a
    component would name two of its children alike."""
    clashes = name_clashes(keys)
    if clashes:
        raise ValueError(f"{owner}: {clash_message(what, clashes[0])}; rename one of these keys")
