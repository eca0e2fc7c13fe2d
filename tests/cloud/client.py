"""A small OpenStack client for the tests: a Keystone password login scoped to a project, the
catalog's network endpoint, and JSON calls to Neutron with that token (what openstacksdk and the
Terraform provider do, without pulling either into the test process)."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field


class CloudError(Exception):
    """The cloud refused a request; the message is the service's own (never a secret)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass
class Credentials:
    """What an openrc file holds for one user."""

    auth_url: str
    username: str
    password: str
    project: str
    region: str = "RegionOne"

    def environ(self) -> dict[str, str]:
        """The OS_* variables a CLI or provider reads."""
        return {
            "OS_AUTH_URL": f"{self.auth_url}/v3",
            "OS_USERNAME": self.username,
            "OS_PASSWORD": self.password,
            "OS_PROJECT_NAME": self.project,
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_REGION_NAME": self.region,
        }


def _call(method: str, url: str, body: dict | None, headers: dict) -> tuple[dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return dict(response.headers), (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        try:
            parsed = json.loads(text)
            error = parsed.get("NeutronError") or parsed.get("error") or {}
            kind = error.get("type") or error.get("title") or ""
            text = f"{kind}: {error['message']}" if kind else error["message"]
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        path = url.split("/", 3)[-1]
        raise CloudError(f"{method} /{path} -> {exc.code} {text}", exc.code) from None


@dataclass
class Session:
    """One user's project-scoped token and the endpoints from its catalog."""

    credentials: Credentials
    token: str = ""
    roles: list[str] = field(default_factory=list)
    project_id: str = ""
    network_url: str = ""
    calls: int = 0
    retries: int = 0

    def login(self) -> "Session":
        """Password authentication, scoped to the project (2026.1 checks scope always)."""
        c = self.credentials
        headers, body = _call(
            "POST",
            f"{c.auth_url}/v3/auth/tokens",
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": c.username,
                                "domain": {"name": "Default"},
                                "password": c.password,
                            }
                        },
                    },
                    "scope": {"project": {"name": c.project, "domain": {"name": "Default"}}},
                }
            },
            {},
        )
        token = body["token"]
        self.token = headers["X-Subject-Token"]
        self.roles = sorted(r["name"] for r in token["roles"])
        self.project_id = token["project"]["id"]
        (network,) = [s for s in token["catalog"] if s["type"] == "network"]
        (endpoint,) = [
            e
            for e in network["endpoints"]
            if e["interface"] == "public" and e["region_id"] == c.region
        ]
        self.network_url = endpoint["url"].rstrip("/")
        return self

    def neutron(self, method: str, path: str, body: dict | None = None) -> dict:
        """One Neutron call with the token.

        The lab's Neutron keeps its data in SQLite, which now and then refuses a write that
        raced one of the server's other processes ("database is locked": a 500 after
        rollback). A 500 is repeated, up to 7 times, and counted in ``retries``; a real server
        error fails every time and still surfaces. Every 4xx refusal is final at once.
        """
        for attempt in range(8):
            try:
                self.calls += 1
                return _call(
                    method, f"{self.network_url}/v2.0{path}", body, {"X-Auth-Token": self.token}
                )[1]
            except CloudError as exc:
                if exc.status == 401 and attempt == 0:
                    self.login()  # the token expired (a long session): log in again, once
                    continue
                if exc.status != 500 or attempt == 7:
                    raise
                self.retries += 1
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def create(self, collection: str, key: str, body: dict) -> dict:
        """POST a new object; None values are left out, as clients do."""
        body = {k: v for k, v in body.items() if v is not None}
        return self.neutron("POST", f"/{collection}", {key: body})[key]

    def list(self, collection: str, query: str = "") -> list[dict]:
        """GET a collection (``query`` without the ``?``)."""
        key = collection.rsplit("/", 1)[-1].replace("-", "_")
        return self.neutron("GET", f"/{collection}" + (f"?{query}" if query else ""))[key]

    def show(self, collection: str, object_id: str) -> dict:
        """GET one object."""
        key = {
            "vpnservices": "vpnservice",
            "endpoint-groups": "endpoint_group",
            "ipsec-site-connections": "ipsec_site_connection",
            "ikepolicies": "ikepolicy",
            "ipsecpolicies": "ipsecpolicy",
            "policies": "policy",
        }.get(collection.rsplit("/", 1)[-1], collection.rsplit("/", 1)[-1][:-1])
        return self.neutron("GET", f"/{collection}/{object_id}")[key]
