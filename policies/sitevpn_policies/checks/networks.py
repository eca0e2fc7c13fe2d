"""IPv4 network checks on netaddr objects: parsing, overlap sweeps, reserved ranges, capacity."""

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from netaddr import IPAddress, IPNetwork

# ASCII digits only ([0-9], not \d: other scripts' digits would reach netaddr) and whole
# strings only (fullmatch: "$" would let a trailing newline through).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_CIDR_RE = re.compile(rf"{_IPV4}/(?:3[0-2]|[12]?[0-9])", re.ASCII)
_IPV4_RE = re.compile(_IPV4, re.ASCII)
_FQDN_RE = re.compile(
    r"(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?",
    re.ASCII,
)


def parse_cidr(text: object) -> tuple[IPNetwork | None, str | None]:
    """Strictly parse an IPv4 CIDR; return (network, None) or (None, reason).

    The same CIDRs reach several policies (and the same reserved ranges every endpoint group),
    so parses are cached per string; callers treat the result as read-only.
    """
    if not isinstance(text, str):
        return None, "is not an IPv4 network in a.b.c.d/n notation"
    return _parse_cidr(text)


@lru_cache(maxsize=65536)
def _parse_cidr(text: str) -> tuple[IPNetwork | None, str | None]:
    if not _CIDR_RE.fullmatch(text):
        return None, "is not an IPv4 network in a.b.c.d/n notation"
    net = IPNetwork(text, version=4)
    if net.ip != net.network:
        return None, f"has host bits set (the network is {net.cidr})"
    return net, None


@dataclass(frozen=True)
class Tagged:
    """A network with who it belongs to."""

    net: IPNetwork
    owner: Hashable
    label: str
    ref: str = ""
    """Where it came from (a resource URN), for reporting."""


def overlapping_pairs(items: Iterable[Tagged]) -> list[tuple[Tagged, Tagged]]:
    """Every pair of overlapping networks, found by one sort and a sweep (O(n log n + pairs)).

    Networks either nest or are disjoint, so the active set holds only ancestors of the
    current network: it stays as deep as the nesting, not as large as the input.
    """
    ordered = sorted(items, key=lambda t: (t.net.first, -t.net.last))
    pairs: list[tuple[Tagged, Tagged]] = []
    active: list[Tagged] = []
    for item in ordered:
        while active and active[-1].net.last < item.net.first:
            active.pop()
        pairs.extend((earlier, item) for earlier in active)
        active.append(item)
    return pairs


def assignable_addresses(net: IPNetwork) -> int:
    """Addresses a subnet can hand out: all but network, broadcast and gateway."""
    return max(net.size - 3, 0)


def is_public_unicast(text: str) -> bool:
    """A public unicast IPv4 address (not private, shared, loopback, link-local, multicast,
    reserved or documentation)."""
    if not _IPV4_RE.fullmatch(text):
        return False
    ip = IPAddress(text, version=4)
    return ip.is_global() and ip.is_unicast() and not ip.is_reserved()


def is_fqdn(text: str) -> bool:
    """A fully qualified domain name (not a dotted number)."""
    if not _FQDN_RE.fullmatch(text):
        return False
    return not all(part.isascii() and part.isdigit() for part in text.rstrip(".").split("."))
