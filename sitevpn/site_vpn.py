"""SiteVpn: the whole design in one component: gateway, sites (customer gateway + pair each)
and the security-group rules that let the remote subnets in and out."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_openstack as openstack

from sitevpn.customer_gateway import CustomerGateway
from sitevpn.design import resolve_site, with_gateway_ips
from sitevpn.device_config import render_swanctl
from sitevpn.enums import HaMode, PskScope
from sitevpn.rollout import Rollout
from sitevpn.topology import cidr_slug, refuse_name_clashes
from sitevpn.vpn_connection_pair import (
    DpdArgs,
    IkePolicyArgs,
    IpsecPolicyArgs,
    PskRotationArgs,
    RolloutArgs,
    VpnConnectionPair,
    VpnConnectionPairArgs,
)
from sitevpn.vpn_gateway import GatewayMember, GatewayMemberArgs, LocalSubnetArgs, VpnGateway


class TunnelArgs(TypedDict):
    """Tunnel interface addresses of one connection."""

    customer: str
    """Customer-side address, e.g. 169.254.70.2/30."""
    gateway: NotRequired[str]
    """Cloud-side address (default: the other host of the customer's /30)."""


class CustomerGatewaySpec(TypedDict):
    """A site's customer (on-premises) gateway."""

    addresses: Sequence[str]
    """Public address(es): one for active-active, two for active-standby (IPv4 or FQDN)."""
    ike_id: NotRequired[str]
    """IKE identity of the customer device (default: each address)."""


class SiteArgs(TypedDict):
    """One on-premises data center."""

    name: str
    """Stable key of the site, e.g. 'dc1'."""
    customer_gateway: CustomerGatewaySpec
    """The site's customer gateway."""
    subnets: Sequence[str]
    """On-premises CIDRs that need the VPC."""
    tunnels: Sequence[TunnelArgs]
    """Tunnel interface addresses of connection 1 and connection 2."""
    ike: NotRequired[IkePolicyArgs]
    """Overrides of the IKE policy for this site."""
    ipsec: NotRequired[IpsecPolicyArgs]
    """Overrides of the IPsec policy for this site."""
    dpd: NotRequired[DpdArgs]
    """Overrides of dead peer detection for this site."""
    mtu: NotRequired[int]
    """MTU of this site's connections."""
    psk: NotRequired[pulumi.Input[str]]
    """This site's pre-shared key (default: the shared PSK, else a generated one)."""
    renamed_from: NotRequired[Sequence[str]]
    """Former keys of this site: a rename keeps every deployed resource (aliases)."""


class AcceptPreviousArgs(TypedDict, total=False):
    """Crypto the customer devices keep accepting while a change of algorithms moves the tunnels
    (the cloud never uses it)."""

    ike: IkePolicyArgs
    """The stack-wide IKE policy as it was before the change."""
    ipsec: IpsecPolicyArgs
    """The stack-wide IPsec policy as it was before the change."""


class DeployedMemberArgs(TypedDict):
    """A gateway member deployed by another stack."""

    name: str
    """Stable key of the member, e.g. 'a'."""
    router_id: pulumi.Input[str]
    """Id of the member's router."""
    service_id: pulumi.Input[str]
    """Id of the member's VPN service."""
    local_endpoint_group_id: pulumi.Input[str]
    """Id of the member's local endpoint group (type subnet)."""
    public_ip: pulumi.Input[str]
    """The member's EIP."""


class DeployedGatewayArgs(TypedDict):
    """A gateway deployed by another stack (a fleet's gateway stack), which the sites use."""

    members: Sequence[DeployedMemberArgs]
    """Its one or two members, in its order."""
    local_cidrs: Sequence[str]
    """CIDRs of its local subnets."""


class SiteVpnArgs(TypedDict):
    """Inputs of a SiteVpn: a gateway to create (``members`` and ``local_subnets``) or one
    deployed elsewhere (``deployed_gateway``), and the sites."""

    ha_mode: HaMode
    """active-active or active-standby, for every site."""
    interconnect_subnet: str
    """Subnet between gateway and VPC (design data checked by the policy pack)."""
    members: NotRequired[Sequence[GatewayMemberArgs]]
    """One or two gateway members to create (two for active-active)."""
    local_subnets: NotRequired[Sequence[LocalSubnetArgs]]
    """VPC subnets that need the data centers (with ``members``)."""
    deployed_gateway: NotRequired[DeployedGatewayArgs]
    """Instead of ``members`` and ``local_subnets``: a gateway another stack deployed."""
    sites: Sequence[SiteArgs]
    """One site (site-to-site) or several (hub-and-spoke)."""
    security_group_ids: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Security groups to open for every remote subnet, by stable key."""
    ike: NotRequired[IkePolicyArgs]
    """IKE policy of every site (strong defaults for anything left out)."""
    ipsec: NotRequired[IpsecPolicyArgs]
    """IPsec policy of every site."""
    dpd: NotRequired[DpdArgs]
    """Dead peer detection of every site."""
    mtu: NotRequired[int]
    """MTU of every connection."""
    psk: NotRequired[pulumi.Input[str]]
    """PSK shared by all sites (otherwise one is generated per site)."""
    psk_rotation: NotRequired[PskRotationArgs]
    """Rotation of the generated PSKs: the generation in use, and whether the next one is
    prepared (the device configurations then carry it)."""
    psk_scope: NotRequired[PskScope]
    """Generated PSKs: one per site (default) or one per connection."""
    accept_previous: NotRequired[AcceptPreviousArgs]
    """During a change of IKE or IPsec algorithms: the settings before it, which the device
    configurations accept after the new ones until it is taken out again."""
    rollout: NotRequired[RolloutArgs]
    """Day-2 waits of ``pulumi up`` (one tunnel of a pair at a time)."""


class SiteSummary(TypedDict):
    """What a site's operators need (wire names: list items reach stack outputs unrenamed)."""

    name: str
    """Site key."""
    customerAddresses: list[str]
    """Customer gateway address(es)."""
    subnets: list[str]
    """On-premises CIDRs."""
    connectionIds: list[str]
    """Ids of connection 1 and connection 2."""


class SiteVpn(pulumi.ComponentResource):
    """An OpenStack VPC connected to one or more data centers over IPsec."""

    ha_mode: pulumi.Output[str]
    """active-active or active-standby."""
    gateway_ips: pulumi.Output[list[str]]
    """The gateway's EIPs, in member order."""
    local_cidrs: pulumi.Output[list[str]]
    """The VPC's local CIDRs."""
    interconnect_subnet: pulumi.Output[str]
    """The interconnection subnet."""
    sites: pulumi.Output[list[SiteSummary]]
    """Per-site summary."""
    device_configs: pulumi.Output[dict[str, str]]
    """Per site, the customer device's strongSwan swanctl.conf (secret: it holds the PSK)."""

    def __init__(
        self,
        name: str,
        args: SiteVpnArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        groups = args.get("security_group_ids", {})
        refuse_name_clashes(
            f"SiteVpn {name}",
            ("site", "security group"),
            [(s["name"], group) for s in args["sites"] for group in groups],
        )
        deployed = args.get("deployed_gateway")
        if (deployed is None) == ("members" not in args or "local_subnets" not in args):
            raise ValueError(
                f"SiteVpn {name}: give either members and local_subnets (a gateway to create) "
                "or deployed_gateway (one another stack deployed)"
            )
        super().__init__("sitevpn:index:SiteVpn", name, {}, opts)
        ha_mode = HaMode(args["ha_mode"])
        child = pulumi.ResourceOptions(parent=self)
        # In `pulumi up`, each pair's connection 2 waits until connection 1 carries again.
        rollout = Rollout.for_update(name, args.get("rollout", {}))
        gateway: VpnGateway | None = None
        if deployed is None:
            gateway = VpnGateway(
                f"{name}-gateway",
                {
                    "members": args["members"],
                    "local_subnets": args["local_subnets"],
                    "interconnect_subnet": args["interconnect_subnet"],
                },
                opts=child,
            )
            members = gateway.members
            vpc_cidrs = [s["cidr"] for s in args["local_subnets"]]
        else:
            members = {m["name"]: _deployed_member(m) for m in deployed["members"]}
            vpc_cidrs = list(deployed["local_cidrs"])
        member_names = list(members)
        public_ips = pulumi.Output.all(*(m.public_ip for m in members.values()))
        self.pairs: dict[str, VpnConnectionPair] = {}
        self.customer_gateways: dict[str, CustomerGateway] = {}
        summaries = []
        device_configs: dict[str, pulumi.Output[str]] = {}
        stack_wide = {
            k: args[k] for k in ("ike", "ipsec", "dpd", "mtu", "accept_previous") if k in args
        }
        for site in args["sites"]:
            role = f"{name}-{site['name']}"
            # The site's design, resolved once: the pair registers it, the device config renders it.
            design = resolve_site(
                stack=pulumi.get_stack(),
                ha_mode=ha_mode,
                members=member_names,
                vpc_cidrs=vpc_cidrs,
                site=site,
                stack_wide=stack_wide,
            )
            gateway_spec = site["customer_gateway"]
            # A renamed site keeps its resources: each per-site resource is aliased to its
            # former name; the components' children (named after them) inherit the alias.
            former = [f"{name}-{old}" for old in site.get("renamed_from", [])]
            customer = CustomerGateway(
                f"{role}-cgw",
                {"addresses": list(gateway_spec["addresses"]), "subnets": site["subnets"]}
                | ({"ike_id": gateway_spec["ike_id"]} if gateway_spec.get("ike_id") else {}),
                opts=_renamed(child, former, "-cgw"),
            )
            connections = [
                {
                    "vpnservice_id": members[conn.member].service_id,
                    "local_endpoint_group_id": members[conn.member].local_endpoint_group_id,
                    "peer_address": conn.customer_address,
                    "peer_id": conn.customer_id,
                    "tunnel_customer_address": conn.tunnel_customer,
                    "tunnel_gateway_address": conn.tunnel_gateway,
                }
                for conn in design.connections
            ]
            pair_args: VpnConnectionPairArgs = {
                "ha_mode": ha_mode,
                "connections": connections,
                "peer_endpoint_group_id": customer.peer_endpoint_group_id,
                # the site's resolved settings (the pair's own defaulting then changes nothing)
                "ike": dict(design.crypto.ike),
                "ipsec": dict(design.crypto.ipsec),
                "dpd": dict(design.crypto.dpd),
                "mtu": design.mtu,
            }
            psk = site.get("psk", args.get("psk"))
            if psk is not None:
                pair_args["psk"] = psk
            for key in ("psk_rotation", "psk_scope"):
                if key in args:
                    pair_args[key] = args[key]
            pair = VpnConnectionPair(
                f"{role}-pair",
                pair_args,
                opts=_renamed(child, former, "-pair"),
                rollout=rollout.for_site(site["name"]) if rollout else None,
            )
            self.customer_gateways[site["name"]] = customer
            self.pairs[site["name"]] = pair
            device_configs[site["name"]] = pulumi.Output.all(public_ips, pair.device_psks).apply(
                lambda values, design=design: render_swanctl(
                    with_gateway_ips(design, dict(zip(member_names, values[0], strict=True))),
                    values[1],
                )
            )
            for group_key, group_id in groups.items():
                self._open_group(
                    f"{role}-{group_key}",
                    group_id,
                    site["subnets"],
                    [f"{old}-{group_key}" for old in former],
                )
            summaries.append(
                pair.connection_ids.apply(
                    lambda ids, site=site: {
                        "name": site["name"],
                        "customerAddresses": list(site["customer_gateway"]["addresses"]),
                        "subnets": list(site["subnets"]),
                        "connectionIds": ids,
                    }
                )
            )
        self.gateway = gateway
        """The gateway this component created (None with ``deployed_gateway``)."""
        self.members = members
        """What the connections use of each gateway member, by key."""
        self.ha_mode = pulumi.Output.from_input(str(ha_mode))
        self.gateway_ips = public_ips
        self.local_cidrs = pulumi.Output.from_input(vpc_cidrs)
        self.interconnect_subnet = pulumi.Output.from_input(args["interconnect_subnet"])
        self.sites = pulumi.Output.all(*summaries)
        self.device_configs = pulumi.Output.secret(pulumi.Output.all(**device_configs))
        self.register_outputs(
            {
                "haMode": self.ha_mode,
                "gatewayIps": self.gateway_ips,
                "localCidrs": self.local_cidrs,
                "interconnectSubnet": self.interconnect_subnet,
                "sites": self.sites,
                "deviceConfigs": self.device_configs,
            }
        )

    def _open_group(
        self,
        prefix: str,
        group_id: pulumi.Input[str],
        cidrs: Sequence[str],
        former: Sequence[str] = (),
    ) -> None:
        """Let a remote subnet reach the VPC's servers and be reached from them."""
        for cidr in cidrs:
            for direction in ("ingress", "egress"):
                suffix = f"-{direction}-{cidr_slug(cidr)}"
                openstack.networking.SecGroupRule(
                    f"{prefix}{suffix}",
                    description=f"site-vpn: {direction} {cidr}",
                    direction=direction,
                    ethertype="IPv4",
                    remote_ip_prefix=cidr,
                    security_group_id=group_id,
                    opts=_renamed(pulumi.ResourceOptions(parent=self), former, suffix),
                )


def _deployed_member(spec: DeployedMemberArgs) -> GatewayMember:
    out = pulumi.Output.from_input
    return GatewayMember(
        name=spec["name"],
        router_id=out(spec["router_id"]),
        service_id=out(spec["service_id"]),
        public_ip=out(spec["public_ip"]),
        local_endpoint_group_id=out(spec["local_endpoint_group_id"]),
    )


def _renamed(
    opts: pulumi.ResourceOptions, former: Sequence[str], suffix: str
) -> pulumi.ResourceOptions:
    """``opts`` with an alias per former name prefix (a renamed site's resource)."""
    if not former:
        return opts
    aliases = [pulumi.Alias(name=f"{prefix}{suffix}") for prefix in former]
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))
