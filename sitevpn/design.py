"""A site's design, resolved once (no Pulumi import).

Stack-wide and per-site settings merged, every default applied, the connection plan computed
(which gateway member talks to which customer address, in which role), peer identities and
tunnel ends filled in. The components register exactly this, and the customer device's
configuration is rendered from exactly this, at run time and offline.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from sitevpn import defaults
from sitevpn.enums import HaMode
from sitevpn.topology import connection_plan, tunnel_other_end


@dataclass(frozen=True)
class Crypto:
    """The IKE/IPsec/DPD values both ends must agree on, every default applied; keyed like
    ``IkePolicyArgs``, ``IpsecPolicyArgs`` and ``DpdArgs``."""

    ike: Mapping[str, Any]
    ipsec: Mapping[str, Any]
    dpd: Mapping[str, Any]


@dataclass(frozen=True)
class Connection:
    """One connection of a site's pair."""

    key: str
    role: str
    member: str
    """The gateway member whose VPN service carries it."""
    gateway_address: str | None
    """The member's EIP, once known."""
    customer_address: str
    customer_id: str
    tunnel_gateway: str
    tunnel_customer: str


@dataclass(frozen=True)
class SiteDesign:
    """Everything one site is, on both sides (no secrets)."""

    stack: str
    site: str
    ha_mode: str
    vpc_cidrs: tuple[str, ...]
    onprem_cidrs: tuple[str, ...]
    connections: tuple[Connection, ...]
    crypto: Crypto
    mtu: int
    accepted: Crypto | None = None
    """Crypto the customer device also accepts, after ``crypto`` (a change of algorithms in
    progress: ``acceptPrevious``); the cloud never uses it."""


def merged(stack_wide: Mapping[str, Any] | None, site: Mapping[str, Any] | None) -> dict:
    """A site's settings: the stack-wide ones with the site's overrides, field by field."""
    return {**(stack_wide or {}), **(site or {})}


def resolve_crypto(
    ike: Mapping[str, Any] | None, ipsec: Mapping[str, Any] | None, dpd: Mapping[str, Any] | None
) -> Crypto:
    """The one place the strong defaults are applied to IKE, IPsec and DPD settings."""
    return Crypto(
        ike=MappingProxyType({**defaults.IKE, **(ike or {})}),
        ipsec=MappingProxyType({**defaults.IPSEC, **(ipsec or {})}),
        dpd=MappingProxyType({**defaults.DPD, **(dpd or {})}),
    )


def resolve_mtu(mtu: int | None) -> int:
    """The connections' MTU (default 1500)."""
    return defaults.MTU if mtu is None else int(mtu)


def resolve_tunnel_gateway(customer: str, gateway: str | None = None) -> str:
    """The cloud side's tunnel address: the one given, or the other host of the customer's /30."""
    return str(gateway) if gateway else tunnel_other_end(str(customer))


def resolve_connections(
    ha_mode: HaMode | str,
    members: Sequence[str],
    customer_addresses: Sequence[str],
    customer_ike_id: str | None,
    tunnels: Sequence[Mapping[str, Any]],
) -> tuple[Connection, ...]:
    """Connection 1 and 2: member, customer address, role, peer identity and tunnel ends."""
    plan = connection_plan(HaMode(ha_mode), members, customer_addresses)
    return tuple(
        Connection(
            key=conn.role.key,
            role=conn.role.role,
            member=conn.member,
            gateway_address=None,
            customer_address=conn.customer_address,
            customer_id=customer_ike_id or conn.customer_address,
            tunnel_gateway=resolve_tunnel_gateway(tunnel["customer"], tunnel.get("gateway")),
            tunnel_customer=str(tunnel["customer"]),
        )
        for conn, tunnel in zip(plan, tunnels, strict=True)
    )


def resolve_site(
    *,
    stack: str,
    ha_mode: HaMode | str,
    members: Sequence[str],
    vpc_cidrs: Sequence[str],
    site: Mapping[str, Any],
    stack_wide: Mapping[str, Any] | None = None,
) -> SiteDesign:
    """One site's design from its args (``SiteArgs``: name, customer_gateway, subnets, tunnels,
    optional ike/ipsec/dpd/mtu overrides) and the stack-wide ike/ipsec/dpd/mtu/accept_previous."""
    stack_wide = stack_wide or {}
    gateway = site["customer_gateway"]
    mtu = site.get("mtu", stack_wide.get("mtu"))
    crypto = resolve_crypto(
        *(merged(stack_wide.get(k), site.get(k)) for k in ("ike", "ipsec", "dpd"))
    )
    # The previous stack-wide blocks with the site's overrides, like the current ones.
    previous = stack_wide.get("accept_previous") or {}
    accepted = resolve_crypto(
        *(merged(previous.get(k, stack_wide.get(k)), site.get(k)) for k in ("ike", "ipsec")),
        merged(stack_wide.get("dpd"), site.get("dpd")),
    )
    return SiteDesign(
        stack=stack,
        site=site["name"],
        ha_mode=str(HaMode(ha_mode)),
        vpc_cidrs=tuple(str(c) for c in vpc_cidrs),
        onprem_cidrs=tuple(str(c) for c in site["subnets"]),
        connections=resolve_connections(
            ha_mode, members, list(gateway["addresses"]), gateway.get("ike_id"), site["tunnels"]
        ),
        crypto=crypto,
        mtu=resolve_mtu(mtu),
        accepted=None if accepted == crypto else accepted,
    )


def with_gateway_ips(design: SiteDesign, gateway_ips: Mapping[str, str | None]) -> SiteDesign:
    """The design once the members' EIPs are known."""
    return replace(
        design,
        connections=tuple(
            replace(c, gateway_address=gateway_ips.get(c.member)) for c in design.connections
        ),
    )
