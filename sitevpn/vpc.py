"""Vpc: a network and its local subnets, for a stack that starts from an empty project."""

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_openstack as openstack


class VpcSubnetArgs(TypedDict):
    """One subnet of the VPC."""

    name: str
    """Stable key of the subnet; also its OpenStack name suffix."""
    cidr: str
    """IPv4 CIDR of the subnet."""


class VpcArgs(TypedDict):
    """Inputs of a Vpc."""

    subnets: Sequence[VpcSubnetArgs]
    """The local subnets to create."""
    network_name: NotRequired[str]
    """OpenStack name of the network (defaults to the component's name)."""


class Vpc(pulumi.ComponentResource):
    """A VPC network with its subnets (the prerequisite the VPN design attaches to)."""

    network_id: pulumi.Output[str]
    """Id of the network."""
    subnet_ids: pulumi.Output[list[str]]
    """Ids of the subnets, in the order given."""
    cidrs: pulumi.Output[list[str]]
    """CIDRs of the subnets, in the order given."""

    def __init__(self, name: str, args: VpcArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("sitevpn:index:Vpc", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        network = openstack.networking.Network(
            f"{name}-network",
            name=args.get("network_name", name),
            admin_state_up=True,
            opts=child,
        )
        self.subnets = {
            spec["name"]: openstack.networking.Subnet(
                f"{name}-{spec['name']}",
                name=f"{name}-{spec['name']}",
                network_id=network.id,
                cidr=spec["cidr"],
                ip_version=4,
                opts=child,
            )
            for spec in args["subnets"]
        }
        """The created subnets by stable key."""
        self.network_id = network.id
        self.subnet_ids = pulumi.Output.all(*(s.id for s in self.subnets.values()))
        self.cidrs = pulumi.Output.from_input([spec["cidr"] for spec in args["subnets"]])
        self.register_outputs(
            {"networkId": self.network_id, "subnetIds": self.subnet_ids, "cidrs": self.cidrs}
        )
