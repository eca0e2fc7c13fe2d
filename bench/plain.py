"""The same resource graph as the components build for bench.sites.hub_config, written as plain
pulumi-openstack calls: no components, no pydantic, no lookups beyond the external network."""

import pulumi
import pulumi_openstack as openstack
import pulumi_random as random

from bench.sites import hub_config

SPECIALS = "~!@#$%^*()-_+={},./:;"


def plain_program(sites: int, subnets_per_site: int = 10):
    """A program (callable) building ``sites`` sites by hand."""
    design = hub_config(sites, subnets_per_site)

    def program() -> None:
        ext = openstack.networking.get_network_output(name="public", external=True).id
        net = openstack.networking.Network("vpc-network", name="vpc", admin_state_up=True)
        subnet = openstack.networking.Subnet(
            "vpc-app", name="vpc-app", network_id=net.id, cidr="192.168.1.0/24", ip_version=4
        )
        services, local_groups = {}, {}
        for member in ("a", "b"):
            router = openstack.networking.Router(
                f"gw-{member}-router",
                name=f"gw-{member}",
                admin_state_up=True,
                external_network_id=ext,
            )
            if member == "a":
                attach = [
                    openstack.networking.RouterInterface(
                        "gw-a-if", router_id=router.id, subnet_id=subnet.id
                    )
                ]
            else:
                port = openstack.networking.Port(
                    "gw-b-port",
                    name="gw-b",
                    network_id=net.id,
                    fixed_ips=[{"subnet_id": subnet.id}],
                    admin_state_up=True,
                )
                attach = [
                    port,
                    openstack.networking.RouterInterface(
                        "gw-b-if", router_id=router.id, port_id=port.id
                    ),
                ]
            services[member] = openstack.vpnaas.Service(
                f"gw-{member}-service",
                name=f"gw-{member}",
                router_id=router.id,
                admin_state_up=True,
                opts=pulumi.ResourceOptions(depends_on=attach),
            )
            local_groups[member] = openstack.vpnaas.EndpointGroup(
                f"gw-{member}-local",
                name=f"gw-{member}-local",
                type="subnet",
                endpoints=[subnet.id],
                opts=pulumi.ResourceOptions(depends_on=attach),
            )
        for site in design["sites"]:
            name = site["name"]
            peer = openstack.vpnaas.EndpointGroup(
                f"{name}-peer", name=f"{name}-peer", type="cidr", endpoints=site["subnets"]
            )
            ike = openstack.vpnaas.IkePolicy(
                f"{name}-ike",
                name=f"{name}-ike",
                ike_version="v2",
                encryption_algorithm="aes-256",
                auth_algorithm="sha256",
                pfs="group15",
                phase1_negotiation_mode="main",
                lifetimes=[{"units": "seconds", "value": 86400}],
            )
            ipsec = openstack.vpnaas.IpSecPolicy(
                f"{name}-ipsec",
                name=f"{name}-ipsec",
                encryption_algorithm="aes-256",
                auth_algorithm="sha256",
                pfs="group15",
                transform_protocol="esp",
                encapsulation_mode="tunnel",
                lifetimes=[{"units": "seconds", "value": 3600}],
            )
            psk = random.RandomPassword(
                f"{name}-psk",
                length=32,
                special=True,
                override_special=SPECIALS,
                min_upper=2,
                min_lower=2,
                min_numeric=2,
                min_special=2,
            ).result
            previous = []
            address = site["customerGateway"]["addresses"][0]
            for key, member in (("conn1", "a"), ("conn2", "b")):
                previous = [
                    openstack.vpnaas.SiteConnection(
                        f"{name}-{key}",
                        name=f"{name}-{key}",
                        vpnservice_id=services[member].id,
                        ikepolicy_id=ike.id,
                        ipsecpolicy_id=ipsec.id,
                        local_ep_group_id=local_groups[member].id,
                        peer_ep_group_id=peer.id,
                        peer_address=address,
                        peer_id=address,
                        psk=pulumi.Output.secret(psk),
                        initiator="bi-directional",
                        admin_state_up=True,
                        mtu=1500,
                        dpds=[{"action": "restart", "interval": 30, "timeout": 120}],
                        opts=pulumi.ResourceOptions(
                            additional_secret_outputs=["psk"], depends_on=previous
                        ),
                    )
                ]

    return program
