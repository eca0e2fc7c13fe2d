"""Which stacks form a fleet, and the gateway stack's design facts (no Pulumi import).

A site stack names its gateway stack (``site-vpn:gatewayStack``) and owns only its sites and
their settings. The gateway's design facts (HA mode, members, VPC subnets, security groups)
come from the gateway stack's own file in the same project, read like the stack file itself,
so that the program, the offline plan and the device configs resolve a site's design the same
way without credentials; the ids come from the gateway stack's deployment (``StackReference``),
and the program refuses to go on when that deployment does not match the file.
"""

from dataclasses import dataclass
from pathlib import Path

from offline_engine import safeyaml, stackconfig

KEY = "gatewayStack"
GATEWAY_KEYS = ("vpc", "gateway", "securityGroups")
"""What a site stack takes from its gateway stack's file."""
GATEWAY_ONLY = (*GATEWAY_KEYS, "protect")
"""What a site stack may not set: it belongs to the gateway stack."""
OUTPUT = "gatewayHandles"
"""The stack output through which a gateway stack hands its members' ids to site stacks."""


class FleetError(ValueError):
    """A gateway stack that cannot be read (the message names the stack and its file)."""


@dataclass(frozen=True)
class GatewayFile:
    """A gateway stack's config as the engine would hand it over, and its file."""

    label: str
    """``stack 'gw' (stacks/Pulumi.gw.yaml)``: how messages name it."""
    values: dict[str, str]
    secret_keys: set[str]


def read_gateway(project_dir: Path, stack: str) -> GatewayFile:
    """The config of gateway stack ``stack`` of the project in ``project_dir`` (its secrets stay
    unknown: a site stack takes none of them)."""
    try:
        project = stackconfig.load_project(project_dir)
        config = stackconfig.load_stack(project, stack, environ={})
    except stackconfig.StackConfigError as exc:
        raise FleetError(str(exc)) from None
    path = project.stack_config_dir / f"Pulumi.{stack}.yaml"
    label = f"stack '{stack}' ({path.relative_to(project.directory)})"
    return GatewayFile(label, config.values, config.secret_keys)


def gateway_of(path: Path, namespace: str) -> str | None:
    """The gateway stack a stack file names, or None (a file that cannot be read: None, the
    stack's own run reports it)."""
    try:
        document = safeyaml.load_file(path)
    except (OSError, ValueError):
        return None
    config = document.get("config") if isinstance(document, dict) else None
    value = config.get(f"{namespace}:{KEY}") if isinstance(config, dict) else None
    return value if isinstance(value, str) else None


def site_stacks(project_dir: Path, gateway: str, namespace: str) -> list[str]:
    """The stacks of the project whose file names ``gateway`` as their gateway stack, sorted."""
    project = stackconfig.load_project(project_dir)
    return [
        name
        for name in stackconfig.stack_names(project)
        if gateway_of(project.stack_config_dir / f"Pulumi.{name}.yaml", namespace) == gateway
    ]


MEMBER_IDS = {
    "router_id": "routerId",
    "service_id": "serviceId",
    "local_endpoint_group_id": "localEndpointGroupId",
    "public_ip": "publicIp",
}
"""A gateway member's ids in ``OUTPUT``: the component's argument -> the output's key."""


def member_id(handles: object, member: str, key: str) -> str | None:
    """One id of one member from a gateway stack's ``OUTPUT`` (None when it has none: the
    program's check of the deployment names that)."""
    members = handles.get("members") if isinstance(handles, dict) else None
    for item in members if isinstance(members, list) else []:
        if isinstance(item, dict) and item.get("name") == member:
            value = item.get(key)
            return value if isinstance(value, str) else None
    return None


def mismatch(declared: dict[str, object], deployed: object) -> str | None:
    """How a gateway stack's deployment (its ``OUTPUT``) differs from what its stack file
    declares (``haMode``, member names, ``localCidrs``), or None when it does not."""
    if not isinstance(deployed, dict):
        return f"that stack has no deployed gateway (no {OUTPUT} output)"
    got = {
        "haMode": deployed.get("haMode"),
        "members": [m.get("name") for m in deployed.get("members") or [] if isinstance(m, dict)],
        "localCidrs": deployed.get("localCidrs"),
    }
    for key, want in declared.items():
        if got[key] != want:
            return f"its deployment has {key} {got[key]!r} but its stack file declares {want!r}"
    for member in declared["members"]:  # type: ignore[union-attr]
        missing = [k for k in MEMBER_IDS.values() if not member_id(deployed, member, k)]
        if missing:
            return f"its deployment has no {', '.join(missing)} for member '{member}'"
    return None
