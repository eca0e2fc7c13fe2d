"""CustomerGateway: the on-premises side, its identity and its subnets as a peer endpoint group."""

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_openstack as openstack


class CustomerGatewayArgs(TypedDict):
    """Inputs of a CustomerGateway."""

    addresses: Sequence[str]
    """Public IPv4 address(es) or FQDN(s) of the customer device: one, or two for active/standby."""
    subnets: Sequence[str]
    """On-premises CIDRs that need the VPC."""
    ike_id: NotRequired[str]
    """IKE identity of the customer device (defaults to each address)."""


class CustomerGateway(pulumi.ComponentResource):
    """The customer (on-premises) gateway as neutron sees it: a peer endpoint group of type cidr."""

    addresses: pulumi.Output[list[str]]
    """The customer gateway's addresses."""
    ike_ids: pulumi.Output[list[str]]
    """The IKE identity expected from each address."""
    subnets: pulumi.Output[list[str]]
    """The on-premises CIDRs."""
    peer_endpoint_group_id: pulumi.Output[str]
    """Id of the peer endpoint group (type cidr)."""

    def __init__(
        self, name: str, args: CustomerGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("sitevpn:index:CustomerGateway", name, {}, opts)
        addresses = list(args["addresses"])
        peer_group = openstack.vpnaas.EndpointGroup(
            f"{name}-peer",
            name=f"{name}-peer",
            type="cidr",
            endpoints=list(args["subnets"]),
            # A change of subnets replaces the group (Neutron cannot update its endpoints): new
            # group first, the connections moved to it, the old one deleted last (Neutron refuses
            # to delete a group in use). The provider would ask for the reverse: an explicit name.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )
        self.addresses = pulumi.Output.from_input(addresses)
        self.ike_ids = pulumi.Output.from_input(
            [args.get("ike_id") or address for address in addresses]
        )
        self.subnets = pulumi.Output.from_input(list(args["subnets"]))
        self.peer_endpoint_group_id = peer_group.id
        self.register_outputs(
            {
                "addresses": self.addresses,
                "ikeIds": self.ike_ids,
                "subnets": self.subnets,
                "peerEndpointGroupId": self.peer_endpoint_group_id,
            }
        )
