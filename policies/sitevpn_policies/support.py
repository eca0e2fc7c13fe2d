"""Shared plumbing for the rules: type tokens, provider defaults, config, messages, unknowns."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from .checks.networks import Tagged, overlapping_pairs, parse_cidr

IKE_POLICY = "openstack:vpnaas/ikePolicy:IkePolicy"
IPSEC_POLICY = "openstack:vpnaas/ipSecPolicy:IpSecPolicy"
SITE_CONNECTION = "openstack:vpnaas/siteConnection:SiteConnection"
ENDPOINT_GROUP = "openstack:vpnaas/endpointGroup:EndpointGroup"
SERVICE = "openstack:vpnaas/service:Service"
SUBNET = "openstack:networking/subnet:Subnet"
VPN_GATEWAY = "sitevpn:index:VpnGateway"
CONNECTION_PAIR = "sitevpn:index:VpnConnectionPair"

# What pulumi-openstack 5.5.1 (and neutron) apply when the program leaves a property out: a
# policy judges the value the resource will really get, so a bare IkePolicy() is IKEv1/sha1.
PROVIDER_DEFAULTS: dict[str, dict[str, Any]] = {
    IKE_POLICY: {
        "ikeVersion": "v1",
        "authAlgorithm": "sha1",
        "encryptionAlgorithm": "aes-128",
        "pfs": "group5",
        "phase1NegotiationMode": "main",
        "lifetimes": [{"units": "seconds", "value": 3600}],
    },
    IPSEC_POLICY: {
        "authAlgorithm": "sha1",
        "encryptionAlgorithm": "aes-128",
        "pfs": "group5",
        "transformProtocol": "esp",
        "encapsulationMode": "tunnel",
        "lifetimes": [{"units": "seconds", "value": 3600}],
    },
    SITE_CONNECTION: {
        "adminStateUp": True,
        "mtu": 1500,
        "initiator": "bi-directional",
        "dpds": [{"action": "hold", "interval": 30, "timeout": 120}],
    },
}

SHORT_TYPES = {
    IKE_POLICY: "IkePolicy",
    IPSEC_POLICY: "IpSecPolicy",
    SITE_CONNECTION: "SiteConnection",
    ENDPOINT_GROUP: "EndpointGroup",
    SERVICE: "Service",
    VPN_GATEWAY: "VpnGateway",
    CONNECTION_PAIR: "VpnConnectionPair",
}


def prop(type_: str, props: Mapping[str, Any], key: str) -> tuple[Any, bool]:
    """(value, defaulted): the property, or the provider default when it was not set.

    Raises UnknownValueError when the value is unknown (a preview), like the SDK's proxy.
    """
    if key in props and props[key] is not None:
        return props[key], False
    return PROVIDER_DEFAULTS.get(type_, {}).get(key), True


def config(
    args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema, key: str
) -> Any:
    """A policy config value; the schema default when the engine sent none (the pack itself
    applies no defaults, so the schema is the one place they live)."""
    value = args.get_config().get(key)
    return schema.properties[key].get("default") if value is None else value


def where(name: str, type_: str, field: str) -> str:
    """'name (Type).field' for messages."""
    return f"{name} ({SHORT_TYPES.get(type_, type_)}).{field}"


def violation(
    name: str,
    type_: str,
    field: str,
    value: Any,
    reason: str,
    *,
    defaulted: bool = False,
    show: bool = True,
) -> str:
    """One message naming the resource, the field and the offending value."""
    shown = repr(plain(value)) if show else "[secret]"
    suffix = " (provider default: the program did not set it)" if defaulted else ""
    return f"{where(name, type_, field)} = {shown}{suffix}: {reason}"


def plain(value: Any) -> Any:
    """Proxy objects -> plain lists/dicts, numbers that are whole -> int, for messages."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: plain(value[k]) for k in value}
    if isinstance(value, list | tuple) or type(value).__name__ == "_ListProxy":
        return [plain(v) for v in value]
    return value


class Unknowns:
    """Defers unknown values: check everything that is known, then say what could not be."""

    def __init__(self) -> None:
        self.first: UnknownValueError | None = None

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Skip the rest of this block when it touches an unknown value."""
        try:
            yield
        except UnknownValueError as exc:
            self.first = self.first or exc

    def finish(self) -> None:
        """Raise the first unknown so the engine reports the policy as not run during preview."""
        if self.first is not None:
            raise self.first


def each_resource(args: StackValidationArgs, type_: str) -> Iterator[PolicyResource]:
    """Resources of one type in a stack."""
    return (r for r in args.resources if r.resource_type == type_)


class StackIndex:
    """Parent/child links of a stack, built once per policy run (O(n))."""

    def __init__(self, args: StackValidationArgs) -> None:
        self.children: dict[str, list[PolicyResource]] = {}
        for r in args.resources:
            if r.parent is not None:
                self.children.setdefault(r.parent.urn, []).append(r)

    def children_of(self, parent: PolicyResource, type_: str) -> list[PolicyResource]:
        """Direct children of one type, in registration order."""
        return [r for r in self.children.get(parent.urn, []) if r.resource_type == type_]


def dependency(resource: PolicyResource, field: str) -> PolicyResource | None:
    """The resource whose output feeds ``field`` (the engine's property dependency)."""
    deps = resource.property_dependencies.get(field) or []
    return deps[0] if len(deps) == 1 else None


def reference(resource: PolicyResource, field: str) -> Any:
    """A stable identity for what ``field`` refers to: the URN of the resource it came from
    (known in preview), else its value (an existing object's id)."""
    dep = dependency(resource, field)
    if dep is not None:
        return ("urn", dep.urn)
    return ("value", resource.props.get(field))


def peer_cidr_fields(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    """(field, value) of every peer CIDR a resource declares: the endpoints of a cidr-type
    endpoint group, or a site connection's legacy peer_cidrs."""
    props = args.props
    if args.resource_type == ENDPOINT_GROUP:
        if props.get("type") != "cidr":
            return []
        return [(f"endpoints[{i}]", v) for i, v in enumerate(props.get("endpoints") or [])]
    if args.resource_type == SITE_CONNECTION:
        return [(f"peerCidrs[{i}]", v) for i, v in enumerate(props.get("peerCidrs") or [])]
    return []


def local_sources(group: PolicyResource) -> list[tuple[object, str]]:
    """The CIDRs behind a local endpoint group, each with the identity of where it is declared
    (a VpnGateway's list position, or a Subnet resource), so that one subnet seen through two
    groups counts once and two subnets with one CIDR count twice."""
    if group.parent is not None and group.parent.resource_type == VPN_GATEWAY:
        return [((group.parent.urn, i), c) for i, c in enumerate(group.parent.props["localCidrs"])]
    subnets = [
        d for d in group.property_dependencies.get("endpoints", []) if d.resource_type == SUBNET
    ]
    return [(s.urn, s.props["cidr"]) for s in subnets]


def peer_cidrs(connection: PolicyResource) -> list[str]:
    """The peer CIDRs of a site connection: its peer group's endpoints, or legacy peer_cidrs."""
    group = dependency(connection, "peerEpGroupId")
    if group is not None:
        return list(group.props.get("endpoints") or [])
    return list(connection.props.get("peerCidrs") or [])


# What a policy object carries besides what the two ends negotiate.
NOT_NEGOTIATED = frozenset({"name", "description", "region", "tenantId", "valueSpecs", "id"})


def negotiated(connection: PolicyResource, field: str) -> dict[str, Any] | str | None:
    """What the IKE or IPsec policy in ``field`` negotiates: the settings of the policy the
    stack declares, or the id of an existing one (its settings are not in the stack)."""
    policy = dependency(connection, field)
    if policy is None:
        return connection.props.get(field)
    return {k: plain(policy.props[k]) for k in policy.props if k not in NOT_NEGOTIATED}


def crypto_mismatches(connections: list[PolicyResource], psk: bool = True) -> list[str]:
    """What differs between connections that should negotiate the same IKE and IPsec settings
    (and, with ``psk``, the same PSK): the policies' settings are compared, not which objects
    hold them (two policies with one suite are fine). Names the fields, never a PSK value."""
    problems = []
    for field, what in (("ikepolicyId", "IKE policy"), ("ipsecpolicyId", "IPsec policy")):
        seen = [negotiated(c, field) for c in connections]
        if all(s == seen[0] for s in seen[1:]):
            continue
        if all(isinstance(s, dict) for s in seen):
            keys = sorted({k for s in seen for k in s if len({repr(x.get(k)) for x in seen}) > 1})
            shown = "; ".join(f"{k}: {' / '.join(str(x.get(k)) for x in seen)}" for k in keys)
            problems.append(f"{field}: the connections' {what} settings differ ({shown})")
        else:
            problems.append(
                f"{field}: the connections use different {what} objects, at least one not "
                "declared in this stack (its settings cannot be compared)"
            )
    if psk and not same_secret(connections, "psk"):
        problems.append("psk: the connections use different pre-shared keys (values not shown)")
    return problems


def same_secret(connections: list[PolicyResource], field: str) -> bool:
    """Whether the connections carry one value in ``field``: compared by value when known; while
    unknown (a generated key in preview), equal only when all come from one resource's output."""
    try:
        return len({c.props.get(field) for c in connections}) <= 1
    except UnknownValueError:
        sources = {
            tuple(sorted(d.urn for d in c.property_dependencies.get(field, [])))
            for c in connections
        }
        if len(sources) == 1 and len(next(iter(sources))) == 1:
            return True
        raise


def is_set(props: Mapping[str, Any], key: str) -> bool:
    """Whether a property is set; an unknown value (an output not yet known) counts as set."""
    try:
        return bool(props.get(key))
    except UnknownValueError:
        return True


def peek(props: Mapping[str, Any], key: str) -> Any:
    """A property for a message: its value, or '<unknown>' during a preview."""
    try:
        return props.get(key)
    except UnknownValueError:
        return "<unknown>"


def peer_overlaps(
    args: ResourceValidationArgs, others: list[str], kind: str
) -> list[tuple[Tagged, Tagged]]:
    """(peer, other) pairs where one of the resource's peer CIDRs overlaps one of ``others``
    (reserved ranges, connected networks...), found by one sort-and-sweep."""
    items = [Tagged(net, kind, text) for text in others if (net := parse_cidr(text)[0]) is not None]
    if not items:
        return []
    for field, value in peer_cidr_fields(args):
        net, _ = parse_cidr(value)
        if net is not None:
            items.append(Tagged(net, "peer", field))
    return [
        (a, b) if a.owner == "peer" else (b, a)
        for a, b in overlapping_pairs(items)
        if {a.owner, b.owner} == {"peer", kind}
    ]
