"""A resource backend for the SDK runtime that creates every registered pulumi-openstack resource
through the cloud's real Neutron API with a project member's Keystone token, returns Neutron's
ids and attributes as the resource state, answers lookups from it, and deletes everything in
reverse order. Unsupported types fail loudly."""

import re
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from offline_engine.runtime import SECRET_SIG, SIG_KEY, Registration
from tests.cloud.client import CloudError, Session
from tests.conftest import unwrap


def _plain(value: Any) -> Any:
    """Wire value -> request value: secrets unwrapped, whole numbers (doubles on the wire) as
    ints, which Neutron's validators expect."""
    value = unwrap(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w.capitalize() for w in rest)


@dataclass
class Created:
    """One object made in Neutron, and how to delete it."""

    type: str
    id: str
    delete: Callable[[], None]


@dataclass
class NeutronBackend:
    """The runtime's backend, acting as the user whose ``session`` it is given."""

    session: Session
    created: list[Created] = field(default_factory=list)
    # The SDK registers from several threads; one request at a time keeps the deletion order
    # (newest first) a true reverse of the creation order.
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def calls(self) -> int:
        """API calls made so far (retries included)."""
        return self.session.calls

    @property
    def retries(self) -> int:
        """500s repeated (see Session.neutron)."""
        return self.session.retries

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        """One Neutron call as the session's user."""
        return self.session.neutron(method, path, body)

    def post(self, collection: str, key: str, body: dict) -> dict:
        """Create an object in the session's project."""
        return self.session.create(collection, key, body)

    # --- the runtime's Backend protocol ----------------------------------------------------

    def create(self, resource: Registration, preview: bool) -> tuple[str, dict[str, Any]]:
        """Create the resource in Neutron; id and outputs (camelCase) as the provider returns."""
        if preview:
            raise AssertionError("the Neutron backend deploys; run the program with preview=False")
        handler = HANDLERS.get(resource.type)
        if handler is None:
            raise NotImplementedError(f"no Neutron mapping for {resource.type} ({resource.name})")
        inputs = _plain(resource.inputs)
        with self.lock:
            object_id, state = handler(self, inputs, resource)
        outputs = dict(resource.inputs)  # keeps secret wrapping of inputs such as psk
        outputs.update({_camel(k): v for k, v in state.items() if _camel(k) not in outputs})
        outputs["id"] = object_id
        return object_id, outputs

    def invoke(self, token: str, args: dict[str, Any], preview: bool) -> dict[str, Any]:
        """Answer the provider's lookups (getNetwork, getSubnet, getRouter, getSecGroup) and
        the deploying token's scope (getAuthScope), from the cloud."""
        kind = token.rsplit(":", 1)[-1]
        if kind == "getAuthScope":
            scope = self.session
            return {
                "id": args.get("name"),
                "name": args.get("name"),
                "userName": scope.credentials.username,
                "projectId": scope.project_id,
                "projectName": scope.credentials.project,
                "roles": [{"roleId": r, "roleName": r} for r in scope.roles],
            }
        collection = {
            "getNetwork": "networks",
            "getSubnet": "subnets",
            "getRouter": "routers",
            "getSecGroup": "security-groups",
        }.get(kind)
        if collection is None:
            raise NotImplementedError(f"no Neutron mapping for invoke {token}")
        key = collection.replace("-", "_")
        if args.get("subnetId"):
            found = [self.request("GET", f"/subnets/{args['subnetId']}")["subnet"]]
        else:
            found = self.request("GET", f"/{collection}?name={args['name']}")[key]
        if len(found) != 1:
            raise LookupError(f"{token}: {len(found)} objects named {args.get('name')!r}")
        # The provider's data sources return their own shapes (e.g. admin_state_up as a
        # string): answer with the fields the program reads, typed as the provider types them.
        obj = found[0]
        result = {"id": obj["id"], "name": obj.get("name")}
        if kind == "getSubnet":
            result |= {
                "cidr": obj["cidr"],
                "networkId": obj["network_id"],
                "gatewayIp": obj.get("gateway_ip"),
            }
        return result

    def destroy(self, prefix: str = "") -> None:
        """Delete everything created whose type starts with ``prefix``, newest first."""
        for item in reversed(list(self.created)):
            if not item.type.startswith(prefix):
                continue
            try:
                item.delete()
            except CloudError as exc:
                if exc.status != 404:
                    raise
            self.created.remove(item)


def _simple(collection: str, key: str, fields: list[str], transform: Callable | None = None):
    """Handler for a resource whose inputs map 1:1 (snake_case) onto a Neutron object."""

    def handler(backend: NeutronBackend, inputs: dict, resource: Registration):
        body = {_snake(k): v for k, v in inputs.items() if k in fields}
        if transform:
            body = transform(body, inputs)
        made = backend.post(collection, key, body)
        backend.created.append(
            Created(
                resource.type,
                made["id"],
                lambda: backend.request("DELETE", f"/{collection}/{made['id']}"),
            )
        )
        return made["id"], made

    return handler


def _lifetime(body: dict, inputs: dict) -> dict:
    (lifetime,) = inputs.get("lifetimes") or [{}]
    body["lifetime"] = lifetime or None
    body.pop("lifetimes", None)
    return body


def _router(backend: NeutronBackend, inputs: dict, resource: Registration):
    body = {"name": inputs.get("name"), "admin_state_up": inputs.get("adminStateUp")}
    if inputs.get("externalNetworkId"):
        gateway = {"network_id": inputs["externalNetworkId"]}
        if inputs.get("externalFixedIps"):
            gateway["external_fixed_ips"] = [
                {_snake(k): v for k, v in ip.items()} for ip in inputs["externalFixedIps"]
            ]
        body["external_gateway_info"] = gateway
    made = backend.post("routers", "router", body)
    backend.created.append(
        Created(
            resource.type, made["id"], lambda: backend.request("DELETE", f"/routers/{made['id']}")
        )
    )
    made["external_fixed_ips"] = (made.get("external_gateway_info") or {}).get("external_fixed_ips")
    return made["id"], made


def _router_interface(backend: NeutronBackend, inputs: dict, resource: Registration):
    router = inputs["routerId"]
    target = (
        {"port_id": inputs["portId"]} if inputs.get("portId") else {"subnet_id": inputs["subnetId"]}
    )
    made = backend.request("PUT", f"/routers/{router}/add_router_interface", target)
    port = made["port_id"]
    backend.created.append(
        Created(
            resource.type,
            port,
            lambda: backend.request(
                "PUT", f"/routers/{router}/remove_router_interface", {"port_id": port}
            ),
        )
    )
    return port, made


def _password(backend: NeutronBackend, inputs: dict, resource: Registration):
    """pulumi-random's RandomPassword, done here: it has no cloud side."""
    specials = inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    pools = [string.ascii_uppercase, string.ascii_lowercase, string.digits, specials]
    minimums = [inputs.get(k, 0) for k in ("minUpper", "minLower", "minNumeric", "minSpecial")]
    chars = [
        secrets.choice(pool) for pool, n in zip(pools, minimums, strict=True) for _ in range(n)
    ]
    alphabet = "".join(pools)
    chars += [secrets.choice(alphabet) for _ in range(int(inputs["length"]) - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return f"password-{resource.name}", {"result": {SIG_KEY: SECRET_SIG, "value": "".join(chars)}}


def _site_connection(body: dict, inputs: dict) -> dict:
    (dpd,) = inputs.get("dpds") or [None]
    body["dpd"] = dpd
    return body


HANDLERS: dict[str, Callable] = {
    "openstack:networking/network:Network": _simple(
        "networks", "network", ["name", "adminStateUp"]
    ),
    "openstack:networking/subnet:Subnet": _simple(
        "subnets",
        "subnet",
        ["name", "networkId", "cidr", "ipVersion", "gatewayIp"],
        lambda body, inputs: {"ip_version": 4} | body,
    ),  # the provider's default
    "openstack:networking/router:Router": _router,
    "openstack:networking/routerInterface:RouterInterface": _router_interface,
    "openstack:networking/port:Port": _simple(
        "ports",
        "port",
        ["name", "networkId", "adminStateUp", "fixedIps"],
        lambda body, inputs: (
            body
            | {
                "fixed_ips": [
                    {_snake(k): v for k, v in ip.items()} for ip in inputs.get("fixedIps", [])
                ]
            }
        ),
    ),
    "openstack:networking/secGroupRule:SecGroupRule": _simple(
        "security-group-rules",
        "security_group_rule",
        [
            "direction",
            "ethertype",
            "remoteIpPrefix",
            "securityGroupId",
            "description",
            "protocol",
            "portRangeMin",
            "portRangeMax",
        ],
    ),
    "openstack:vpnaas/service:Service": _simple(
        "vpn/vpnservices", "vpnservice", ["name", "routerId", "adminStateUp", "subnetId"]
    ),
    "openstack:vpnaas/endpointGroup:EndpointGroup": _simple(
        "vpn/endpoint-groups", "endpoint_group", ["name", "type", "endpoints"]
    ),
    "openstack:vpnaas/ikePolicy:IkePolicy": _simple(
        "vpn/ikepolicies",
        "ikepolicy",
        [
            "name",
            "authAlgorithm",
            "encryptionAlgorithm",
            "ikeVersion",
            "pfs",
            "phase1NegotiationMode",
            "lifetimes",
        ],
        _lifetime,
    ),
    "openstack:vpnaas/ipSecPolicy:IpSecPolicy": _simple(
        "vpn/ipsecpolicies",
        "ipsecpolicy",
        [
            "name",
            "authAlgorithm",
            "encryptionAlgorithm",
            "pfs",
            "transformProtocol",
            "encapsulationMode",
            "lifetimes",
        ],
        _lifetime,
    ),
    "openstack:vpnaas/siteConnection:SiteConnection": _simple(
        "vpn/ipsec-site-connections",
        "ipsec_site_connection",
        [
            "name",
            "description",
            "vpnserviceId",
            "ikepolicyId",
            "ipsecpolicyId",
            "localEpGroupId",
            "peerEpGroupId",
            "peerAddress",
            "peerId",
            "psk",
            "initiator",
            "adminStateUp",
            "mtu",
            "localId",
            "peerCidrs",
        ],
        _site_connection,
    ),
    "random:index/randomPassword:RandomPassword": _password,
}
