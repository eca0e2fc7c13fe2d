"""VpnGateway: one or two gateway members, each a router + VPN service + local endpoint group."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
import pulumi_openstack as openstack

from sitevpn.enums import SubnetAttachment
from sitevpn.topology import refuse_name_clashes


class GatewayMemberArgs(TypedDict):
    """One gateway member; its router's external gateway IP is one EIP."""

    name: str
    """Stable key of the member, e.g. 'a' or 'b'."""
    router_id: NotRequired[pulumi.Input[str]]
    """An existing router with its external gateway set; otherwise a router is created."""
    external_network_id: NotRequired[pulumi.Input[str]]
    """External network a created router takes its gateway IP (the EIP) from."""
    external_ip: NotRequired[pulumi.Input[str]]
    """Bind this existing external address as the created router's gateway IP."""
    attach: NotRequired[SubnetAttachment]
    """How the router reaches the local subnets (default: through ports)."""
    protect: NotRequired[bool]
    """Let the engine refuse to delete or replace the created router (it holds the EIP)."""


class LocalSubnetArgs(TypedDict):
    """A VPC subnet that needs the data center."""

    name: str
    """Stable key of the subnet."""
    cidr: str
    """The subnet's IPv4 CIDR."""
    subnet_id: pulumi.Input[str]
    """Id of the subnet."""
    network_id: pulumi.Input[str]
    """Id of the subnet's network (ports are created there)."""


class VpnGatewayArgs(TypedDict):
    """Inputs of a VpnGateway."""

    members: Sequence[GatewayMemberArgs]
    """One or two members; each is one EIP."""
    local_subnets: Sequence[LocalSubnetArgs]
    """Local subnets; each is attached to every member's router."""
    interconnect_subnet: str
    """Subnet between gateway and VPC (design data checked by the policy pack)."""


@dataclass(frozen=True)
class GatewayMember:
    """What a connection needs from one member."""

    name: str
    router_id: pulumi.Output[str]
    service_id: pulumi.Output[str]
    public_ip: pulumi.Output[str]
    local_endpoint_group_id: pulumi.Output[str]


class VpnGateway(pulumi.ComponentResource):
    """The VPC side of the VPN: routers with EIPs, VPN services and local endpoint groups."""

    member_names: pulumi.Output[list[str]]
    """Member keys, in order."""
    public_ips: pulumi.Output[list[str]]
    """The members' EIPs (each VPN service's external IPv4 address), in member order."""
    router_ids: pulumi.Output[list[str]]
    """The members' router ids."""
    service_ids: pulumi.Output[list[str]]
    """The members' VPN service ids."""
    local_endpoint_group_ids: pulumi.Output[list[str]]
    """The members' local endpoint groups (type subnet)."""
    local_cidrs: pulumi.Output[list[str]]
    """CIDRs of the local subnets."""
    interconnect_subnet: pulumi.Output[str]
    """The interconnection subnet."""

    def __init__(self, name: str, args: VpnGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        members = args["members"]
        if not 1 <= len(members) <= 2:
            raise ValueError(f"VpnGateway {name}: one or two members, got {len(members)}")
        refuse_name_clashes(
            f"VpnGateway {name}",
            ("member", "subnet"),
            [(m["name"], s["name"]) for m in members for s in args["local_subnets"]],
        )
        super().__init__("sitevpn:index:VpnGateway", name, {}, opts)
        self.members = {
            spec["name"]: self._member(name, spec, args["local_subnets"]) for spec in members
        }
        built = list(self.members.values())
        self.member_names = pulumi.Output.from_input([m.name for m in built])
        self.public_ips = pulumi.Output.all(*(m.public_ip for m in built))
        self.router_ids = pulumi.Output.all(*(m.router_id for m in built))
        self.service_ids = pulumi.Output.all(*(m.service_id for m in built))
        self.local_endpoint_group_ids = pulumi.Output.all(
            *(m.local_endpoint_group_id for m in built)
        )
        self.local_cidrs = pulumi.Output.from_input([s["cidr"] for s in args["local_subnets"]])
        self.interconnect_subnet = pulumi.Output.from_input(args["interconnect_subnet"])
        self.register_outputs(
            {
                "memberNames": self.member_names,
                "publicIps": self.public_ips,
                "routerIds": self.router_ids,
                "serviceIds": self.service_ids,
                "localEndpointGroupIds": self.local_endpoint_group_ids,
                "localCidrs": self.local_cidrs,
                "interconnectSubnet": self.interconnect_subnet,
            }
        )

    def _member(
        self, name: str, spec: GatewayMemberArgs, subnets: Sequence[LocalSubnetArgs]
    ) -> GatewayMember:
        prefix = f"{name}-{spec['name']}"
        if "router_id" in spec:
            router_id = pulumi.Output.from_input(spec["router_id"])
        else:
            fixed = [{"ip_address": spec["external_ip"]}] if "external_ip" in spec else None
            router = openstack.networking.Router(
                f"{prefix}-router",
                name=prefix,
                admin_state_up=True,
                external_network_id=spec.get("external_network_id"),
                external_fixed_ips=fixed,
                opts=pulumi.ResourceOptions(parent=self, protect=spec.get("protect") or None),
            )
            router_id = router.id
        attachments = self._attach(
            prefix, router_id, spec.get("attach", SubnetAttachment.PORT), subnets
        )
        # Neutron checks at connection time that the local subnets sit on this router, so the
        # service (and through it every connection) waits for the interfaces.
        service = openstack.vpnaas.Service(
            f"{prefix}-service",
            name=prefix,
            router_id=router_id,
            admin_state_up=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        local_group = openstack.vpnaas.EndpointGroup(
            f"{prefix}-local",
            name=f"{prefix}-local",
            type="subnet",
            endpoints=[s["subnet_id"] for s in subnets],
            # Replaced like the peer group: new first, deleted once no connection uses it.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=attachments, delete_before_replace=False
            ),
        )
        return GatewayMember(
            name=spec["name"],
            router_id=router_id,
            service_id=service.id,
            public_ip=service.external_v4_ip,
            local_endpoint_group_id=local_group.id,
        )

    def _attach(
        self,
        prefix: str,
        router_id: pulumi.Output[str],
        how: SubnetAttachment,
        subnets: Sequence[LocalSubnetArgs],
    ) -> list[pulumi.Resource]:
        child = pulumi.ResourceOptions(parent=self)
        made: list[pulumi.Resource] = []
        if how == SubnetAttachment.EXISTING:
            return made
        for subnet in subnets:
            role = f"{prefix}-{subnet['name']}"
            if how == SubnetAttachment.INTERFACE:
                made.append(
                    openstack.networking.RouterInterface(
                        f"{role}-if", router_id=router_id, subnet_id=subnet["subnet_id"], opts=child
                    )
                )
                continue
            # A router that is not the subnet's gateway joins it with a port of its own address.
            port = openstack.networking.Port(
                f"{role}-port",
                name=role,
                network_id=subnet["network_id"],
                fixed_ips=[{"subnet_id": subnet["subnet_id"]}],
                admin_state_up=True,
                opts=child,
            )
            made += [
                port,
                openstack.networking.RouterInterface(
                    f"{role}-if", router_id=router_id, port_id=port.id, opts=child
                ),
            ]
        return made
