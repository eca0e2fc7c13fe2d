"""The program's wiring: stack config -> (lookups of existing objects) -> Vpc? -> SiteVpn.

Everything VPN-specific about reading a stack lives here so that ``__main__.py`` stays three
statements long. Errors become ``pulumi.RunError``: one clear message, no traceback.
"""

import asyncio

import pulumi
import pulumi_openstack as openstack

from offline_engine import sdk
from sitevpn import psk_keys, removals
from sitevpn.config import (
    NAMESPACE,
    ConfigError,
    ExistingRef,
    StackConfig,
    load_stack_config,
)
from sitevpn.fleet import stacks as fleet_stacks
from sitevpn.site_vpn import SiteVpn, SiteVpnArgs
from sitevpn.vpc import Vpc


def read_config() -> StackConfig:
    """The validated ``site-vpn:*`` config of the running stack; RunError when invalid."""
    raw, secret = sdk.program_config()
    try:
        return load_stack_config(raw, secret, pulumi.get_stack())
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


# Neutron's default policy (2026.1) lets only an admin choose a router's external fixed IP.
ADMIN_ROLE = "admin"


def build(cfg: StackConfig, name: str = "site-vpn") -> SiteVpn:
    """Register the whole design for a validated config: with a gateway of its own, or, for a
    fleet's site stack, with the gateway its gateway stack deployed."""
    # Checks of the cloud that must pass before anything is registered (the components wait).
    drift: list[pulumi.Output[None]] = _removal_checks(cfg)
    if cfg.gateway_stack is None:
        drift += _permission_checks(cfg)
        gateway_args = _own_gateway(cfg, name, drift)
    else:
        gateway_args = _deployed_gateway(cfg, name, drift)
    groups = {
        g.name: g.id or openstack.networking.get_sec_group_output(name=g.name).id
        for g in cfg.security_groups
    }
    args: SiteVpnArgs = {
        "ha_mode": cfg.gateway.ha_mode,
        "interconnect_subnet": str(cfg.gateway.interconnect_subnet),
        **gateway_args,
        "sites": [site.args() for site in cfg.sites],
        "security_group_ids": groups,
        **cfg.stack_wide_args(),
    }
    psk = pulumi.Config(NAMESPACE).get_secret("psk")
    if psk is not None:
        if "psk_rotation" in args:
            raise pulumi.RunError(
                f"stack '{pulumi.get_stack()}': site-vpn:pskRotation rotates generated PSKs, "
                "but this stack has a configured one (site-vpn:psk): rotate it by setting the "
                "new secret (README, Day 2), and take pskRotation out"
            )
        if "psk_scope" in args:
            raise pulumi.RunError(
                f"stack '{pulumi.get_stack()}': site-vpn:pskScope chooses how PSKs are "
                "generated, but this stack has a configured one (site-vpn:psk), which every "
                "connection uses: take pskScope out, or site-vpn:psk to have keys generated"
            )
        args["psk"] = psk
    # Declared CIDRs that disagree with OpenStack, or a gateway stack deployed otherwise than
    # its file says, stop the deployment before anything of the VPN is registered: the
    # component waits for every check.
    gate = pulumi.Output.all(*drift).apply(lambda _: []) if drift else None
    return SiteVpn(name, args, opts=pulumi.ResourceOptions(depends_on=gate))


def _own_gateway(cfg: StackConfig, name: str, drift: list[pulumi.Output[None]]) -> dict:
    """The VPC (created, or its subnets looked up and checked) and the gateway members to
    create, as ``SiteVpnArgs`` take them."""
    gate = pulumi.Output.all(*drift).apply(lambda _: []) if drift else None
    if cfg.vpc.create:
        vpc = Vpc(
            f"{name}-vpc",
            {
                "network_name": cfg.vpc.name or f"{name}-{pulumi.get_stack()}",
                "subnets": [{"name": s.name, "cidr": str(s.cidr)} for s in cfg.vpc.subnets],
            },
            # protect: true also protects the network and subnets (children inherit it)
            opts=pulumi.ResourceOptions(depends_on=gate, protect=cfg.protect or None),
        )
        subnet_refs = [(vpc.subnets[s.name].id, vpc.network_id) for s in cfg.vpc.subnets]
    else:
        subnet_refs = []
        for index, subnet in enumerate(cfg.vpc.subnets):
            found = (
                openstack.networking.get_subnet_output(subnet_id=subnet.id)
                if subnet.id
                else openstack.networking.get_subnet_output(name=subnet.name)
            )
            where = f"{NAMESPACE}:vpc.subnets[{index}] ({subnet.name!r})"
            drift.append(
                found.cidr.apply(lambda got, want=str(subnet.cidr), w=where: _same(w, want, got))
            )
            subnet_refs.append((found.id, found.network_id))

    external = (
        _lookup_network(cfg.gateway.external_network) if cfg.gateway.external_network else None
    )
    members = []
    for index, member in enumerate(cfg.gateway.members):
        spec: dict = {"name": member.name, "attach": cfg.member_attachment(index)}
        if cfg.protect:
            spec["protect"] = True
        if member.router:
            spec["router_id"] = (
                member.router.id
                or openstack.networking.get_router_output(name=member.router.name).id
            )
        else:
            spec["external_network_id"] = external
            if member.eip is not None:
                spec["external_ip"] = str(member.eip)
        members.append(spec)
    return {
        "members": members,
        "local_subnets": [
            {"name": s.name, "cidr": str(s.cidr), "subnet_id": sid, "network_id": nid}
            for s, (sid, nid) in zip(cfg.vpc.subnets, subnet_refs, strict=True)
        ],
    }


def _deployed_gateway(cfg: StackConfig, name: str, drift: list[pulumi.Output[None]]) -> dict:
    """A site stack's gateway: the ids its gateway stack's deployment hands over
    (``StackReference``), checked against the design its stack file declares."""
    stack, gateway = pulumi.get_stack(), cfg.gateway_stack
    handles = pulumi.StackReference(f"{name}-gateway-stack", stack_name=gateway).get_output(
        fleet_stacks.OUTPUT
    )
    declared = {
        "haMode": str(cfg.gateway.ha_mode),
        "members": [m.name for m in cfg.gateway.members],
        "localCidrs": [str(s.cidr) for s in cfg.vpc.subnets],
    }

    def check(deployed: dict | None) -> None:
        problem = fleet_stacks.mismatch(declared, deployed)
        if problem:
            raise pulumi.RunError(
                f"stack '{stack}': {NAMESPACE}:{fleet_stacks.KEY} = '{gateway}': {problem}; "
                f"deploy the gateway stack first (`pulumi up -s {gateway}`, or `site-vpn fleet "
                f"up {gateway}`), nothing of this stack was changed"
            )

    drift.append(handles.apply(check))
    return {
        "deployed_gateway": {
            "members": [
                {
                    "name": member,
                    **{
                        arg: handles.apply(
                            lambda h, m=member, k=key: fleet_stacks.member_id(h, m, k)
                        )
                        for arg, key in fleet_stacks.MEMBER_IDS.items()
                    },
                }
                for member in declared["members"]
            ],
            "local_cidrs": declared["localCidrs"],
        }
    }


def exports(vpn: SiteVpn, cfg: StackConfig) -> dict[str, object]:
    """The stack's outputs. A stack with a gateway of its own also exports what the next update
    may not delete (``gatewayMembers``, ``vpcSubnets``) and what site stacks use of its gateway
    (``gatewayHandles``); a site stack only what is its own."""
    out: dict[str, object] = {"haMode": vpn.ha_mode, "gatewayIps": vpn.gateway_ips}
    if cfg.gateway_stack is None:
        out["gatewayMembers"] = gateway_members(vpn, cfg)
        out["vpcSubnets"] = vpc_subnets(cfg)
        out[fleet_stacks.OUTPUT] = gateway_handles(vpn)
    out |= {
        "pskInUse": psk_in_use(cfg),  # what the next update may not re-scope
        "localCidrs": vpn.local_cidrs,
        "interconnectSubnet": vpn.interconnect_subnet,
        "sites": vpn.sites,
        "deviceConfigs": vpn.device_configs,  # secret: holds the PSK
    }
    return out


def gateway_handles(vpn: SiteVpn) -> pulumi.Output[dict]:
    """What a fleet's site stacks need of this stack's gateway (``fleet.stacks.OUTPUT``)."""
    members = list(vpn.members.values())
    ids = [
        pulumi.Output.all(*(getattr(m, arg) for arg in fleet_stacks.MEMBER_IDS)) for m in members
    ]
    return pulumi.Output.all(vpn.ha_mode, vpn.local_cidrs, *ids).apply(
        lambda v: {
            "haMode": v[0],
            "localCidrs": v[1],
            "members": [
                {"name": m.name, **dict(zip(fleet_stacks.MEMBER_IDS.values(), got, strict=True))}
                for m, got in zip(members, v[2:], strict=True)
            ],
        }
    )


def psk_in_use(cfg: StackConfig) -> dict[str, object]:
    """The generation and scope of the connections' generated PSKs, exported for the next
    update's check of a scope change (``psk_keys``)."""
    configured = pulumi.Config(NAMESPACE).get_secret("psk") is not None
    return psk_keys.in_use(cfg.psk_rotation.generation, cfg.psk_scope, configured)


def gateway_members(vpn: SiteVpn, cfg: StackConfig) -> pulumi.Output[list[dict[str, str]]]:
    """Each gateway member with its EIP and attachment, in the file's order: exported, so that
    the next update knows what it would delete or move."""
    gateway = vpn.gateway
    return pulumi.Output.all(gateway.member_names, gateway.public_ips).apply(
        lambda v: [
            {"name": name, "eip": eip, "attach": str(cfg.member_attachment(index))}
            for index, (name, eip) in enumerate(zip(v[0], v[1], strict=True))
        ]
    )


def vpc_subnets(cfg: StackConfig) -> list[dict[str, object]]:
    """Each VPC subnet and whether the stack created it: exported, so that the next update
    knows what it would delete or detach."""
    return [{"name": s.name, "created": cfg.vpc.create} for s in cfg.vpc.subnets]


def _removal_checks(cfg: StackConfig) -> list[pulumi.Output[None]]:
    """Refuse, before anything is registered, to delete a deployed site, member or VPC subnet
    the stack file drops without acknowledging it (the engine deletes whatever is not
    registered), to move a member's attachment (a predictable failure half-way through the
    update), or to change the scope of the generated PSKs in use (``psk_keys``). The last
    deployment is the stack's own outputs, read from the engine's backend; the offline engine
    has no deployment to compare with."""
    if not sdk.engine_runs_hooks():
        return []
    stack = pulumi.get_stack()
    configured = pulumi.Config(NAMESPACE).get_secret("psk") is not None

    def check(outputs: dict) -> None:
        last = removals.deployed(outputs)
        gone = cfg.removals
        problems = removals.unacknowledged(
            stack,
            last,
            [(s.name, s.renamed_from) for s in cfg.sites],
            [m.name for m in cfg.gateway.members],
            [s.name for s in cfg.vpc.subnets],
            gone,
        ) + removals.moved_attachments(
            stack,
            last,
            [(m.name, str(cfg.member_attachment(i))) for i, m in enumerate(cfg.gateway.members)],
        )
        if not configured:
            scope = psk_keys.refusal(stack, outputs, cfg.psk_rotation.generation, cfg.psk_scope)
            problems += [scope] if scope else []
        if problems:
            raise pulumi.RunError("; ".join(problems))
        for key in removals.stale(last, gone):
            pulumi.log.warn(
                f"stack '{stack}': site-vpn:removals.{key} is not deployed (already removed); "
                "take it out of the stack file"
            )

    return [pulumi.Output.from_input(_last_outputs(stack)).apply(check)]


async def _last_outputs(stack: str, attempts: int = 20) -> dict:
    """The stack's outputs as its last deployment left them. The file backend's checkpoint can
    be caught mid-write by this read (the engine writes it as the update starts: "failed to load
    checkpoint: EOF" was seen in CI), so a failed read is tried again before giving up."""
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{stack}"
    error: Exception | None = None
    for _ in range(attempts):
        try:
            result = await pulumi.runtime.invoke_async(
                "pulumi:pulumi:readStackOutputs", {"name": name}
            )
            return dict(result.get("outputs") or {})
        except Exception as failed:  # the engine's invoke error: retried, then reported
            error = failed
            await asyncio.sleep(0.25)
    raise pulumi.RunError(
        f"stack '{stack}': could not read the last deployment's outputs, which guard deletes "
        f"({error}); nothing was changed, run the update again"
    )


def _permission_checks(cfg: StackConfig) -> list[pulumi.Output[None]]:
    """Options Neutron's default policy refuses to a project member, checked against the
    deploying token's roles before anything is created (the provider's 403 would name
    Neutron's rule, not the stack key, and come after other resources were made)."""
    chosen = [(i, m) for i, m in enumerate(cfg.gateway.members) if m.eip is not None]
    if not chosen:
        return []
    scope = openstack.identity.get_auth_scope_output(name=f"{NAMESPACE}-deployer")

    def check(roles: list) -> None:
        names = sorted(r["role_name"] if isinstance(r, dict) else r.role_name for r in roles)
        if ADMIN_ROLE in names:
            return
        index, member = chosen[0]
        raise pulumi.RunError(
            f"stack '{pulumi.get_stack()}': {NAMESPACE}:gateway.members[{index}].eip = "
            f"{member.eip}: choosing a router's external IP needs the {ADMIN_ROLE} role under "
            "Neutron's default policy (create_router:external_gateway_info:external_fixed_ips); "
            f"this deployment's token has roles {', '.join(names) or 'none'}. Leave eip out and "
            "Neutron picks the address (see the gatewayIps output), or deploy as an admin."
        )

    return [scope.roles.apply(check)]


def _lookup_network(ref: ExistingRef) -> pulumi.Input[str]:
    if ref.id:
        return ref.id
    return openstack.networking.get_network_output(name=ref.name, external=True).id


def _same(where: str, declared: str, actual: str | None) -> None:
    if actual != declared:
        raise pulumi.RunError(
            f"stack '{pulumi.get_stack()}': {where} declares cidr {declared} "
            f"but OpenStack has {actual}; update the stack file or the subnet"
        )
