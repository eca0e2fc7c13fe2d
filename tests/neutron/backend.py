"""A resource backend for the SDK runtime that creates every registered pulumi-openstack resource
through a real Neutron API, returns Neutron's ids and attributes as the resource state, answers
name lookups from it, and deletes everything in reverse order. Unsupported types fail loudly."""

import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sitevpn.engine.runtime import SECRET_SIG, SIG_KEY, Registration
from tests.conftest import unwrap

PROJECT = "site-vpn"


class NeutronError(Exception):
    """Neutron refused a request; the message is Neutron's own."""


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
    """The runtime's backend, talking to a Neutron API at ``url`` (noauth)."""

    url: str
    created: list[Created] = field(default_factory=list)
    calls: int = 0
    retries: int = 0
    # The SDK registers from several threads; one request at a time keeps SQLite happy and the
    # deletion order (newest first) a true reverse of the creation order.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        """One API call; NeutronError carries Neutron's message on refusal.

        This test server's SQLite refuses a write whose transaction raced one of the server's
        background writers ("database is locked", a 500 after rollback). A 500 is therefore
        repeated, up to 7 times, and counted in ``retries``: a real server error fails every
        time and still surfaces. Every 4xx refusal is final at once.
        """
        for attempt in range(8):
            try:
                return self._request(method, path, body)
            except NeutronError as exc:
                if " -> 500 " not in str(exc) or attempt == 7:
                    raise
                self.retries += 1
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def _request(self, method: str, path: str, body: dict | None) -> dict:
        self.calls += 1
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}/v2.0{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            try:
                error = json.loads(text)["NeutronError"]
                text = f"{error['type']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                pass
            raise NeutronError(f"{method} {path} -> {exc.code} {text}") from None
        return json.loads(raw) if raw else {}

    def post(self, collection: str, key: str, body: dict) -> dict:
        """Create an object (noauth needs the project in the body)."""
        body = {k: v for k, v in body.items() if v is not None}
        body.setdefault("tenant_id", PROJECT)
        return self.request("POST", f"/{collection}", {key: body})[key]

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
        """Answer the provider's lookups (getNetwork, getSubnet, getRouter, getSecGroup)."""
        kind = token.rsplit(":", 1)[-1]
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
            raise NeutronError(f"{token}: {len(found)} objects named {args.get('name')!r}")
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

    def destroy(self) -> None:
        """Delete everything created, newest first."""
        while self.created:
            item = self.created.pop()
            try:
                item.delete()
            except NeutronError as exc:
                if " -> 404 " not in str(exc):
                    raise


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
