"""Stack configuration (``site-vpn:*`` keys) as frozen pydantic v2 models.

The IKE, IPsec and DPD models are built from the component Args (the definition of those
settings) and the defaults module; the other models keep the strict address parsing that the
SDK's schema inference cannot read from ``Annotated`` types (a parity test holds them to the Args).

The models answer one question: is every value well-formed? (types, enums, CIDR syntax, host
bits, structure such as "active-standby needs two customer addresses"). Whether a well-formed
design is *allowed* (overlaps, reserved ranges, weak crypto, tunnel-address rules) is the policy
pack's job. Secrets never enter these models: pydantic errors echo input values.
"""

import ast
import inspect
import itertools
import json
import re
import textwrap
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from netaddr import IPAddress, IPNetwork
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from sitevpn import defaults, driver_support, site_files
from sitevpn.device_config import first_unprintable
from sitevpn.enums import (
    HaMode,
    Phase1Mode,
    PskScope,
    SubnetAttachment,
)
from sitevpn.fleet import stacks as fleet_stacks
from sitevpn.topology import clash_message, name_clashes, tunnel_other_end
from sitevpn.vpn_connection_pair import DpdArgs, IkePolicyArgs, IpsecPolicyArgs

NAMESPACE = "site-vpn"
# Config keys that must be secrets and therefore never reach a model.
SECRET_KEYS = frozenset({"psk"})

# ASCII digits only ([0-9], not \d: other scripts' digits would reach netaddr) and whole
# strings only (fullmatch: "$" would let a trailing newline through).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV4_RE = re.compile(_IPV4, re.ASCII)
_CIDR_RE = re.compile(rf"{_IPV4}/(?:3[0-2]|[12]?[0-9])", re.ASCII)
_FQDN_RE = re.compile(
    r"(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?",
    re.ASCII,
)


def _parse_cidr(value: Any) -> IPNetwork:
    if not isinstance(value, str) or not _CIDR_RE.fullmatch(value):
        raise PydanticCustomError("ipv4_cidr", "not an IPv4 network in a.b.c.d/n notation")
    net = IPNetwork(value, version=4)
    if net.ip != net.network:
        raise PydanticCustomError(
            "host_bits", "host bits are set; did you mean {cidr}?", {"cidr": str(net.cidr)}
        )
    return net.cidr


def _parse_address(value: Any) -> IPAddress:
    if not isinstance(value, str) or not _IPV4_RE.fullmatch(value):
        raise PydanticCustomError("ipv4_address", "not an IPv4 address (a.b.c.d)")
    return IPAddress(value, version=4)


def _parse_tunnel_address(value: Any) -> IPNetwork:
    if not isinstance(value, str) or not _CIDR_RE.fullmatch(value):
        raise PydanticCustomError("tunnel_address", "not an interface address like 169.254.70.2/30")
    try:
        tunnel_other_end(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "tunnel_address",
            "must be one of the two host addresses of a /30 ({reason})",
            {"reason": str(exc)},
        ) from None
    return IPNetwork(value, version=4)


def _parse_peer_address(value: Any) -> str:
    if isinstance(value, str) and _IPV4_RE.fullmatch(value):
        return str(IPAddress(value, version=4))
    if isinstance(value, str) and _FQDN_RE.fullmatch(value) and not _looks_numeric(value):
        return value.rstrip(".").lower()
    raise PydanticCustomError("peer_address", "not an IPv4 address or a fully qualified name")


def _looks_numeric(value: str) -> bool:
    return all(part.isascii() and part.isdigit() for part in value.rstrip(".").split("."))


Ipv4Network = Annotated[
    IPNetwork,
    PlainValidator(_parse_cidr),
    PlainSerializer(str),
    WithJsonSchema(
        {"type": "string", "pattern": f"^{_CIDR_RE.pattern}$", "examples": ["192.168.1.0/24"]}
    ),
]
Ipv4Address = Annotated[
    IPAddress,
    PlainValidator(_parse_address),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": f"^{_IPV4_RE.pattern}$"}),
]
TunnelAddress = Annotated[
    IPNetwork,
    PlainValidator(_parse_tunnel_address),
    PlainSerializer(str),
    WithJsonSchema(
        {"type": "string", "pattern": f"^{_CIDR_RE.pattern}$", "examples": ["169.254.70.2/30"]}
    ),
]
PeerAddress = Annotated[
    str,
    PlainValidator(_parse_peer_address),
    WithJsonSchema({"type": "string", "examples": ["22.10.10.22", "vpn.example.com"]}),
]
# A stable key: resource names derive from it, so it is short, lower-case and URN-safe.
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
# An OpenStack name or id of an existing object: Neutron's 255 characters, printable.
OsName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]
# The Pulumi CLI's rule for a stack's own name, also a file name here (so no leading '.')
StackName = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")]
# Neutron stores these in 32-bit integer columns; no boolean or string stands in for a number.
INT32_MAX = 2**31 - 1
LifetimeSeconds = Annotated[int, Strict(), Field(ge=60, le=INT32_MAX)]
"""Neutron refuses SA lifetimes under 60 seconds."""
DpdSeconds = Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)]
# IPv4's minimum (Neutron's check) up to jumbo frames, the largest MTU a Neutron network carries.
MIN_MTU, MAX_MTU = 68, 9000
Mtu = Annotated[int, Strict(), Field(ge=MIN_MTU, le=MAX_MTU)]


def _parse_ike_id(value: Any) -> str:
    if isinstance(value, str) and (
        _IPV4_RE.fullmatch(value)
        or _FQDN_RE.fullmatch(value)
        or (
            value.count("@") == 1
            and _LOCAL_PART_RE.fullmatch(value.split("@")[0])
            and _FQDN_RE.fullmatch(value.split("@")[1])
        )
    ):
        return value
    raise PydanticCustomError(
        "ike_id", "not an IKE identity: an IPv4 address, a domain name or user@domain"
    )


_LOCAL_PART_RE = re.compile(r"[A-Za-z0-9._+-]{1,64}", re.ASCII)
# What Neutron's peer_id and the device's `id =` both take as a bare token.
IkeId = Annotated[
    str,
    PlainValidator(_parse_ike_id),
    WithJsonSchema({"type": "string", "examples": ["dc1-vpn.example.net", "vpn@example.net"]}),
]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
        hide_input_in_errors=False,
    )


def _unique(items: list[Any], attr: str, what: str) -> list[Any]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        key = getattr(item, attr)
        if key in seen:
            raise PydanticCustomError(
                "duplicate",
                "duplicate {what} '{key}' (first used at position {first})",
                {"what": what, "key": key, "first": seen[key], "loc": (index, attr), "value": key},
            )
        seen[key] = index
    return items


class ExistingRef(_Model):
    """An existing OpenStack object, by id or by name (exactly one)."""

    id: OsName | None = None
    """The object's id."""
    name: OsName | None = None
    """The object's name, looked up at deployment time."""

    @model_validator(mode="after")
    def _one_of(self) -> "ExistingRef":
        if (self.id is None) == (self.name is None):
            raise PydanticCustomError("ref", "give exactly one of 'id' or 'name'")
        return self


class SubnetConfig(_Model):
    """A VPC subnet that needs the data center."""

    name: Key
    """Stable key; also the subnet's name (looked up when no id is given, or created)."""
    cidr: Ipv4Network
    """The subnet's CIDR, declared so the design can be checked offline."""
    id: OsName | None = None
    """Id of an existing subnet (otherwise looked up by name, or created with the VPC)."""


class VpcConfig(_Model):
    """The VPC whose subnets reach the data center: an existing one, or one this stack creates."""

    create: bool = False
    """Create the network and subnets (a fresh project) instead of using existing ones."""
    name: OsName | None = None
    """Name of the network to create (defaults to the stack's name)."""
    subnets: list[SubnetConfig] = Field(min_length=1)
    """Local subnets: every one is attached to every gateway member's router."""

    @field_validator("subnets")
    @classmethod
    def _unique_subnets(cls, v: list[SubnetConfig]) -> list[SubnetConfig]:
        return _unique(v, "name", "subnet name")

    @model_validator(mode="after")
    def _created_have_no_ids(self) -> "VpcConfig":
        if self.create and any(s.id for s in self.subnets):
            raise PydanticCustomError(
                "vpc_create", "a VPC the stack creates cannot name existing subnet ids"
            )
        if not self.create and self.name is not None:
            raise PydanticCustomError(
                "ignored",
                "name would be ignored: it names the network the stack creates (create: true); "
                "existing subnets are found by their own names or ids",
                {"loc": ("name",), "value": self.name},
            )
        return self


class MemberConfig(_Model):
    """One gateway member: a router with an external gateway (its IP is an EIP) + a VPN service."""

    name: Key
    """Stable key of the member, e.g. 'a' or 'b'."""
    router: ExistingRef | None = None
    """An existing router (with its external gateway set) instead of creating one."""
    eip: Ipv4Address | None = None
    """Bind this existing external address as the router's gateway IP (the EIP)."""
    attach: SubnetAttachment | None = None
    """How the router reaches the local subnets (default: the first member of a created VPC
    takes the subnets' gateway IPs, every other member attaches through ports)."""


def _default_members() -> list[MemberConfig]:
    return [MemberConfig(name="a"), MemberConfig(name="b")]


class GatewayConfig(_Model):
    """The VPN gateway on the VPC side."""

    ha_mode: HaMode
    """active-active (two EIPs to one customer IP) or active-standby (two customer IPs)."""
    interconnect_subnet: Ipv4Network
    """Subnet between the gateway and the VPC (needs at least 4 assignable addresses)."""
    external_network: ExistingRef | None = None
    """External network the EIPs come from (needed unless every member uses an existing router)."""
    members: list[MemberConfig] = Field(
        default_factory=_default_members, min_length=1, max_length=2
    )
    """One or two gateway members; each contributes one EIP."""

    @field_validator("members")
    @classmethod
    def _unique_members(cls, v: list[MemberConfig]) -> list[MemberConfig]:
        return _unique(v, "name", "member name")

    @model_validator(mode="after")
    def _check(self) -> "GatewayConfig":
        if self.ha_mode == HaMode.ACTIVE_ACTIVE and len(self.members) != 2:
            raise PydanticCustomError(
                "ha_mode",
                "active-active needs two gateway members (two EIPs), got {n}",
                {"n": len(self.members)},
            )
        if self.external_network is None and any(m.router is None for m in self.members):
            raise PydanticCustomError(
                "external_network",
                "externalNetwork is required when a member creates its router",
            )
        # A value that another one makes meaningless is refused, not silently dropped.
        if self.external_network is not None and all(m.router for m in self.members):
            raise PydanticCustomError(
                "ignored",
                "externalNetwork would be ignored: every member uses an existing router (whose "
                "gateway is already set); remove it",
                {"loc": ("externalNetwork",), "value": {}},
            )
        for index, member in enumerate(self.members):
            if member.router is not None and member.eip is not None:
                raise PydanticCustomError(
                    "ignored",
                    "eip would be ignored: an existing router keeps its own gateway IP; remove "
                    "eip, or router to have the stack create the router",
                    {"loc": ("members", index, "eip"), "value": str(member.eip)},
                )
        if sum(m.attach == SubnetAttachment.INTERFACE for m in self.members) > 1:
            raise PydanticCustomError(
                "attach", "only one member can attach by interface (a subnet has one gateway IP)"
            )
        return self


class CustomerGatewayConfig(_Model):
    """The customer (on-premises) gateway."""

    addresses: list[PeerAddress] = Field(min_length=1, max_length=2)
    """Public address(es): one for active-active, two for active-standby (IPv4 or FQDN)."""
    ike_id: IkeId | None = None
    """IKE identity of the customer device: an IPv4 address, a domain name or user@domain
    (defaults to each address)."""


class TunnelConfig(_Model):
    """Tunnel interface addresses of one connection (design data for route-based devices)."""

    customer: TunnelAddress
    """The customer device's tunnel interface address, e.g. 169.254.70.2/30."""
    gateway: TunnelAddress | None = None
    """The cloud side's address (defaults to the other host of the customer's /30)."""


def _driver_runs(section: str, field: str, value: StrEnum) -> StrEnum:
    reason = driver_support.refusal(section, field, value)
    if reason is not None:
        raise PydanticCustomError("driver", reason)
    return value


def _attribute_docs(cls: type) -> dict[str, str]:
    """A class's attribute docstrings (the string under each annotated field), from its source:
    the Args document their fields this way, for the SDK's schema inference and for us."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


# The config's bounds for a plain ``int`` field of the Args, by field name; any other int gets
# Neutron's int32 column range.
_INTS: dict[str, Any] = {
    "lifetime_seconds": LifetimeSeconds,
    "interval_seconds": DpdSeconds,
    "timeout_seconds": DpdSeconds,
}
_ANY_INT = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]


def _from_args(args: type, defaults_by_field: Mapping[str, Any]) -> type[_Model]:
    """The stack file's model of a component Args type: the same fields, types and docs (the
    Args are the definition), the defaults of ``sitevpn.defaults``, strict integers."""
    docs = _attribute_docs(args)
    fields: dict[str, Any] = {}
    for name, annotation in args.__annotations__.items():
        if annotation is int:
            annotation = _INTS.get(name, _ANY_INT)
        elif annotation is bool:
            annotation = Annotated[bool, Strict()]  # "yes", 1 or "true" are not booleans here
        fields[name] = (annotation, Field(default=defaults_by_field[name], description=docs[name]))
    return create_model(f"{args.__name__}Model", __base__=_Model, **fields)


class IkeConfig(_from_args(IkePolicyArgs, defaults.IKE)):
    """IKE (phase 1) policy."""

    @field_validator("phase1_mode")
    @classmethod
    def _driver_runs_mode(cls, v: Phase1Mode) -> Phase1Mode:
        return _driver_runs("ike", "phase1_mode", v)


class IpsecConfig(_from_args(IpsecPolicyArgs, defaults.IPSEC)):
    """IPsec (phase 2) policy."""

    @field_validator("transform", "encapsulation")
    @classmethod
    def _driver_runs_it(cls, v: StrEnum, info: ValidationInfo) -> StrEnum:
        return _driver_runs("ipsec", info.field_name, v)


class DpdConfig(_from_args(DpdArgs, defaults.DPD)):
    """Dead peer detection."""


class SiteConfig(_Model):
    """One on-premises data center (a spoke in hub-and-spoke)."""

    name: Key
    """Stable key of the site, e.g. 'dc1'."""
    customer_gateway: CustomerGatewayConfig
    """The site's customer gateway."""
    subnets: list[Ipv4Network] = Field(min_length=1)
    """On-premises subnets that need the VPC."""
    tunnels: list[TunnelConfig] = Field(min_length=2, max_length=2)
    """Tunnel interface addresses of connection 1 and connection 2."""
    ike: IkeConfig | None = None
    """Overrides of the stack-wide IKE policy for this site."""
    ipsec: IpsecConfig | None = None
    """Overrides of the stack-wide IPsec policy for this site."""
    dpd: DpdConfig | None = None
    """Overrides of the stack-wide DPD settings for this site."""
    mtu: Mtu | None = None
    """MTU of this site's connections (default: the stack-wide MTU)."""
    renamed_from: list[Key] = []
    """Former keys of this site: a rename keeps every deployed resource (aliases)."""

    def args(self) -> dict[str, Any]:
        """This site as the SiteVpn component takes it (``SiteArgs``): overrides only where the
        stack file gives them, so that the stack-wide values fill in the rest."""
        out: dict[str, Any] = {
            "name": self.name,
            "customer_gateway": {"addresses": list(self.customer_gateway.addresses)},
            "subnets": [str(c) for c in self.subnets],
            "tunnels": [t.model_dump(exclude_none=True, mode="json") for t in self.tunnels],
        }
        if self.customer_gateway.ike_id:
            out["customer_gateway"]["ike_id"] = self.customer_gateway.ike_id
        for key in ("ike", "ipsec", "dpd"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.model_dump(include=value.model_fields_set)
        if self.mtu is not None:
            out["mtu"] = self.mtu
        if self.renamed_from:
            out["renamed_from"] = list(self.renamed_from)
        return out


class SecurityGroupConfig(_Model):
    """A security group of the VPC's servers to open for the remote subnets."""

    name: Key
    """Stable key; also the group's name when no id is given."""
    id: OsName | None = None
    """Id of the group (otherwise looked up by name)."""


class RolloutConfig(_Model):
    """Day-2 changes: connection 2 of a pair waits until connection 1 carries again."""

    timeout_seconds: Annotated[int, Strict(), Field(ge=10, le=86400)] = (
        defaults.ROLLOUT_TIMEOUT_SECONDS
    )
    """Longest wait for connection 1 after its change; then the update stops, connection 2
    untouched."""
    settle_seconds: Annotated[int, Strict(), Field(ge=0, le=3600)] = defaults.ROLLOUT_SETTLE_SECONDS
    """How long an updated connection 1 must stay ACTIVE (at least the cloud's status interval)."""


class RemovalsConfig(_Model):
    """Deletions acknowledged for the next ``pulumi up`` (take them out again afterwards):
    without them, a deployed site, member or VPC subnet missing from the stack file stops the
    update."""

    sites: list[Key] = []
    """Deployed sites taken out of ``sites``: their connections and customer gateway are
    deleted."""
    members: list[Key] = []
    """Deployed gateway members taken out of ``gateway.members``: their router, VPN service and
    EIP are released for good."""
    subnets: list[Key] = []
    """Deployed VPC subnets taken out of ``vpc.subnets``: detached from the gateway routers (and
    deleted, when the stack created them)."""


class PskRotationConfig(_Model):
    """Rotation of the generated PSKs (one per site), tunnel by tunnel: the next generation is
    prepared first, so that every device holds it before its connections move to it."""

    generation: Annotated[int, Strict(), Field(ge=1, le=1000000)] = defaults.PSK_FIRST_GENERATION
    """The generation the connections use. To rotate: an update with ``prepare``, the devices
    given their new secrets, then this raised by one (and ``prepare`` taken out): the
    connections move one tunnel at a time. Keep it afterwards: lowering it generates anew."""
    prepare: Annotated[bool, Strict()] = False
    """Generate the next generation now and put it in the device configurations; the
    connections keep theirs."""
    scope: PskScope | None = None
    """The scope of the prepared generation (default: ``pskScope``): how ``pskScope`` changes,
    as the next generation is prepared in the new scope."""

    @model_validator(mode="after")
    def _scope_is_prepared(self) -> "PskRotationConfig":
        if self.scope is not None and not self.prepare:
            raise PydanticCustomError(
                "psk_rotation",
                "the scope of the prepared generation: only with prepare: true",
                {"loc": ("scope",), "value": str(self.scope)},
            )
        return self


class AcceptPreviousConfig(_Model):
    """During a change of IKE or IPsec algorithms, DH groups or PFS: the stack-wide blocks as
    they were before it. The device configurations accept them after the new ones, so that each
    tunnel keeps negotiating whichever its cloud connection still has while `pulumi up` moves
    the connections one at a time; take them out once it completed."""

    ike: IkeConfig | None = None
    """The stack-wide ``ike`` block before the change (default: unchanged)."""
    ipsec: IpsecConfig | None = None
    """The stack-wide ``ipsec`` block before the change (default: unchanged)."""


class StackConfig(_Model):
    """Everything under the ``site-vpn:`` namespace of a stack file, except the secret PSK."""

    vpc: VpcConfig
    """The VPC side."""
    gateway: GatewayConfig
    """The VPN gateway."""
    sites: list[SiteConfig]
    """One site for site-to-site, several for hub-and-spoke (with ``siteFiles``: those of the
    files after these); none for a fleet's gateway stack."""
    gateway_stack: StackName | None = None
    """A site stack of a fleet: the stack of this project that deploys the gateway (``vpc``,
    ``gateway`` and ``securityGroups`` are read from its stack file, its members' ids from its
    deployment); this stack then holds sites only."""
    site_files: list[str] = []
    """Files of the project holding more sites (glob patterns relative to the project folder,
    e.g. ``sites/*.yaml``; each file one site or a list of sites, spelled as here): the stack
    config stays small however many sites there are."""
    ike: IkeConfig = IkeConfig()
    """Stack-wide IKE policy (strong defaults)."""
    ipsec: IpsecConfig = IpsecConfig()
    """Stack-wide IPsec policy (strong defaults)."""
    dpd: DpdConfig = DpdConfig()
    """Stack-wide dead peer detection."""
    mtu: Mtu = defaults.MTU
    """MTU of the site connections."""
    security_groups: list[SecurityGroupConfig] = []
    """Security groups to open for every remote subnet, both directions."""
    rollout: RolloutConfig = RolloutConfig()
    """How day-2 changes move through each pair."""
    removals: RemovalsConfig = RemovalsConfig()
    """Deployed sites and members this update may delete."""
    accept_previous: AcceptPreviousConfig | None = None
    """Crypto the customer devices keep accepting during a change of algorithms."""
    psk_rotation: PskRotationConfig = PskRotationConfig()
    """Rotation of the generated PSKs (not of a configured one: that is rotated by setting it)."""
    psk_scope: PskScope = defaults.PSK_SCOPE
    """Generated PSKs: one per site (``pair``) or one per connection (``connection``). On a
    deployed stack it changes with a new generation (``pskRotation.scope``)."""
    protect: Annotated[bool, Strict()] = False
    """Production: the engine refuses to delete or replace what cannot be had back (the members'
    routers, which hold the EIPs, and a created VPC), even when a removal is acknowledged."""

    @field_validator("sites")
    @classmethod
    def _unique_sites(cls, v: list[SiteConfig]) -> list[SiteConfig]:
        _unique(v, "name", "site name")
        names = {site.name for site in v}
        former: dict[str, int] = {}
        for index, site in enumerate(v):
            for position, old in enumerate(site.renamed_from):
                if old in names or old in former:
                    raise PydanticCustomError(
                        "renamed_from",
                        "'{old}' is {what}; a former key belongs to one site and no current one",
                        {
                            "old": old,
                            "what": "a current site" if old in names else "claimed twice",
                            "loc": (index, "renamedFrom", position),
                            "value": old,
                        },
                    )
                former[old] = index
        return v

    @model_validator(mode="after")
    def _site_stack_owns_sites_only(self) -> "StackConfig":
        if self.gateway_stack is None:
            return self
        for what in ("members", "subnets"):
            if getattr(self.removals, what):
                raise PydanticCustomError(
                    "gateway_stack",
                    "the gateway's {what} belong to the gateway stack '{stack}': acknowledge "
                    "their removal in its stack file",
                    {
                        "what": what,
                        "stack": self.gateway_stack,
                        "loc": ("removals", what),
                        "value": getattr(self.removals, what),
                    },
                )
        return self

    @model_validator(mode="after")
    def _removals_are_removed(self) -> "StackConfig":
        for what, listed, present in (
            ("sites", self.removals.sites, [s.name for s in self.sites]),
            ("members", self.removals.members, [m.name for m in self.gateway.members]),
            ("subnets", self.removals.subnets, [s.name for s in self.vpc.subnets]),
        ):
            for position, key in enumerate(listed):
                if key in present:
                    raise PydanticCustomError(
                        "removals",
                        "'{key}' is still in the stack file; a removal is acknowledged only for "
                        "a key taken out of it",
                        {"key": key, "loc": ("removals", what, position), "value": key},
                    )
        return self

    @field_validator("security_groups")
    @classmethod
    def _unique_groups(cls, v: list[SecurityGroupConfig]) -> list[SecurityGroupConfig]:
        return _unique(v, "name", "security group name")

    @model_validator(mode="after")
    def _pairs_fit_ha_mode(self) -> "StackConfig":
        wanted = 1 if self.gateway.ha_mode == HaMode.ACTIVE_ACTIVE else 2
        for index, site in enumerate(self.sites):
            addresses = site.customer_gateway.addresses
            if len(addresses) != wanted or len(set(addresses)) != len(addresses):
                raise PydanticCustomError(
                    "ha_mode",
                    "{mode} needs {wanted} distinct customer gateway address(es)",
                    {
                        "mode": str(self.gateway.ha_mode),
                        "wanted": wanted,
                        "loc": ("sites", index, "customerGateway", "addresses"),
                        "value": list(addresses),
                    },
                )
        return self

    @model_validator(mode="after")
    def _connection_keys_tell_tunnels_apart(self) -> "StackConfig":
        # A key per connection is found by the two ends' identities, on the device and on the
        # cloud's router alike: one member and one customer identity give both tunnels the same.
        if self.psk_scope != PskScope.CONNECTION or len(self.gateway.members) != 1:
            return self
        for index, site in enumerate(self.sites):
            if site.customer_gateway.ike_id is not None:
                raise PydanticCustomError(
                    "psk_scope",
                    "pskScope connection needs each tunnel's ends to differ, but with one "
                    "gateway member both tunnels of this site run between the gateway's EIP and "
                    "the one customer identity: take ikeId out or keep pskScope pair",
                    {
                        "loc": ("sites", index, "customerGateway", "ikeId"),
                        "value": site.customer_gateway.ike_id,
                    },
                )
        return self

    @model_validator(mode="after")
    def _child_names_distinct(self) -> "StackConfig":
        families = (
            (("gateway", "members"), "member", "subnet", self.gateway.members, self.vpc.subnets),
            (("sites",), "site", "security group", self.sites, self.security_groups),
        )
        for loc, what1, what2, outer, inner in families:
            clashes = name_clashes([(a.name, b.name) for a in outer for b in inner])
            if clashes:
                raise PydanticCustomError(
                    "name_clash",
                    "{clash}; rename one of these keys",
                    {"clash": clash_message((what1, what2), clashes[0]), "loc": loc, "value": {}},
                )
        return self

    def stack_wide_args(self) -> dict[str, Any]:
        """The stack-wide IKE, IPsec, DPD, MTU and day-2 waits as the SiteVpn component takes
        them."""
        out: dict[str, Any] = {
            "ike": self.ike.model_dump(),
            "ipsec": self.ipsec.model_dump(),
            "dpd": self.dpd.model_dump(),
            "mtu": self.mtu,
            "rollout": self.rollout.model_dump(),
        }
        if self.accept_previous is not None:
            previous = {
                key: block.model_dump()
                for key in ("ike", "ipsec")
                if (block := getattr(self.accept_previous, key)) is not None
            }
            if previous:
                out["accept_previous"] = previous
        if self.psk_rotation != PskRotationConfig():
            out["psk_rotation"] = self.psk_rotation.model_dump(exclude_none=True)
        if self.psk_scope != defaults.PSK_SCOPE:
            out["psk_scope"] = self.psk_scope
        return out

    def member_attachment(self, index: int) -> SubnetAttachment:
        """How member ``index`` reaches the local subnets (explicit, or the default)."""
        member = self.gateway.members[index]
        if member.attach is not None:
            return member.attach
        if self.vpc.create and index == 0:
            return SubnetAttachment.INTERFACE
        return SubnetAttachment.PORT


class ConfigError(Exception):
    """Invalid stack configuration; the message names stack, key and value, never a secret."""


def decode_config(raw: Mapping[str, str], secret_keys: set[str] | frozenset[str]) -> dict[str, Any]:
    """Pick the ``site-vpn:*`` keys out of engine config (JSON strings) for validation.

    Secret keys are checked for placement only; their values are never decoded or returned.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key in SECRET_KEYS:
            if full_key not in secret_keys:
                problems.append(
                    f"{full_key}: must be a secret; set it with "
                    f"`pulumi config set --secret {key}` (value not shown)"
                )
            continue
        if full_key in secret_keys:
            problems.append(
                f"{full_key}: only {sorted(SECRET_KEYS)} may be secret (value not shown)"
            )
            continue
        value = _engine_value(text)
        problems += _control_characters(value, (key,))
        values[key] = value
    if problems:
        raise ConfigError("\n".join(problems))
    return values


def _engine_value(text: Any) -> Any:
    """A config value as the program reads it: the engine hands over strings (JSON for objects
    and lists, the YAML spelling for scalars), so scalars are read back into their types."""
    if not isinstance(text, str):
        return text
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:  # also an integer too long for Python to parse
            return text
    if re.fullmatch(r"-?[0-9]{1,19}", text, re.ASCII):
        return int(text)
    return {"true": True, "false": False}.get(text, text)


def _unprintable(value: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(key path, first control character) of every string (keys too) that has one."""
    if isinstance(value, str):
        char = first_unprintable(value)
        if char is not None:
            yield loc, char
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _unprintable(str(k), loc)
            yield from _unprintable(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _unprintable(v, (*loc, i))


def _control_character(where: str, char: str) -> str:
    return f"{where}: contains the control character U+{ord(char):04X} (value not shown)"


def _control_characters(value: Any, loc: tuple[Any, ...]) -> list[str]:
    """Every string that reaches a resource or a device config is one printable line."""
    return [_control_character(_path(at), char) for at, char in _unprintable(value, loc)]


def validate_config(values: Mapping[str, Any], project: Path | None = None) -> StackConfig:
    """Validate decoded ``site-vpn:*`` values, with the sites of their ``siteFiles`` (read in
    ``project``, default the working folder); raise ConfigError with one line per problem."""
    values = dict(values)
    project = project or Path.cwd()
    values, gateway = _with_gateway(values, project)
    files, inline = None, 0
    if site_files.KEY in values:
        try:
            files = site_files.read(values[site_files.KEY], project)
        except site_files.SiteFileError as exc:
            raise ConfigError(str(exc)) from None
        problems = [
            _control_character(files.where(j, at), char)
            for j, site in enumerate(files.sites)
            for at, char in _unprintable(site)
        ]
        if problems:
            raise ConfigError("\n".join(problems))
        listed = values.get("sites", [])
        if isinstance(listed, list):  # anything else: the model names it
            inline = len(listed)
            values["sites"] = listed + files.sites
    try:
        return StackConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(
            "\n".join(_describe(err, files, inline, gateway) for err in exc.errors())
        ) from None


def _with_gateway(values: dict[str, Any], project: Path) -> tuple[dict[str, Any], str | None]:
    """A site stack's values with its gateway stack's ``vpc``, ``gateway`` and
    ``securityGroups`` (``fleet.stacks``), and how messages name that stack; others unchanged."""
    name = values.get(fleet_stacks.KEY)
    if not isinstance(name, str):
        return values, None  # absent, or a bad value the model names
    where = f"{_path((fleet_stacks.KEY,))} = {_show(name)}"
    problems = [
        f"{_path((key,))}: belongs to the gateway stack '{name}' ({where}); set it in that "
        "stack's file"
        for key in fleet_stacks.GATEWAY_ONLY
        if key in values
    ]
    if problems:
        raise ConfigError("\n".join(problems))
    try:
        gateway = fleet_stacks.read_gateway(project, name)
    except fleet_stacks.FleetError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    try:
        theirs = decode_config(gateway.values, gateway.secret_keys)
    except ConfigError as exc:
        raise ConfigError(
            "\n".join(f"{where}: {gateway.label}: {line}" for line in str(exc).splitlines())
        ) from None
    if fleet_stacks.KEY in theirs:
        raise ConfigError(
            f"{where}: that stack is a site stack itself (of {_show(theirs[fleet_stacks.KEY])}); "
            "name the stack that deploys the gateway"
        )
    merged = dict(values)
    merged.update({key: theirs[key] for key in fleet_stacks.GATEWAY_KEYS if key in theirs})
    return merged, gateway.label


def load_stack_config(
    raw: Mapping[str, str],
    secret_keys: set[str] | frozenset[str],
    stack: str,
    project: Path | None = None,
) -> StackConfig:
    """Engine config -> StackConfig, or ConfigError naming the stack, each key (or site file)
    and value. ``project``: the folder ``siteFiles`` are relative to (default: the working
    folder, where the engine runs the program)."""
    try:
        return validate_config(decode_config(raw, secret_keys), project)
    except ConfigError as exc:
        lines = str(exc).splitlines()
        header = f"stack '{stack}': invalid site-vpn configuration ({len(lines)} problem"
        header += "s):" if len(lines) > 1 else "):"
        raise ConfigError("\n".join([header, *(f"  {line}" for line in lines)])) from None


def _path(loc: tuple[Any, ...]) -> str:
    out = NAMESPACE
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i == 0:
            out += f":{part}"
        else:
            out += f".{part}"
    return out


def _show(value: Any) -> str:
    text = repr(str(value)) if isinstance(value, IPNetwork | IPAddress) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(
    err: Mapping[str, Any],
    files: "site_files.SiteFiles | None" = None,
    inline: int = 0,
    gateway: str | None = None,
) -> str:
    ctx = err.get("ctx") or {}
    loc = tuple(err["loc"]) + tuple(ctx.get("loc", ()))
    # Tagged unions and validators add non-field parts ("function-plain[...]"); drop them.
    loc = tuple(p for p in loc if isinstance(p, int) or "[" not in str(p))
    where = _path(loc)
    if files and loc[:1] == ("sites",) and len(loc) > 1 and isinstance(loc[1], int):
        if loc[1] >= inline:  # a site of a site file: named by file, line and column
            where = files.where(loc[1] - inline, loc[2:])
    if gateway and loc[:1] and loc[0] in fleet_stacks.GATEWAY_KEYS:
        where = f"{gateway}: {where}"  # a gateway key of a site stack: from its gateway's file
    kind = err["type"]
    if kind == "missing":
        return f"{where}: required key is missing"
    if kind == "extra_forbidden":
        # Never echo the value of an unknown key: it may be a misplaced secret.
        return f"{where}: unknown key (value not shown); check the spelling"
    value = ctx.get("value", err.get("input"))
    message = err["msg"]
    if isinstance(value, Mapping):
        return f"{where}: {message}"
    return f"{where} = {_show(value)}: {message}"


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a ``Pulumi.<stack>.yaml`` file, generated from the models."""
    models = StackConfig.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = models.pop("$defs", {})
    keys = models["properties"]
    properties: dict[str, Any] = {f"{NAMESPACE}:{k}": v for k, v in keys.items()}
    properties[f"{NAMESPACE}:psk"] = {
        "description": "Pre-shared key of every site: only as a secret "
        "(`pulumi config set --secret psk`); generated per site when absent.",
        "type": "object",
        "properties": {"secure": {"type": "string"}},
        "required": ["secure"],
        "additionalProperties": False,
    }
    known = "|".join(re.escape(k) for k in [*keys, "psk"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://site-vpn.dev/schema/stack-config.schema.json",
        "title": "site-vpn stack file (stacks/Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": [f"{NAMESPACE}:{k}" for k in models.get("required", [])],
                # Other namespaces (openstack:, ...) pass; unknown site-vpn keys do not.
                "propertyNames": {"not": {"pattern": f"^{NAMESPACE}:(?!({known})$)"}},
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "$defs": defs,
    }
