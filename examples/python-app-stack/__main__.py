"""A larger stack: the application's network, and the VPN design as one component."""

import pulumi
import pulumi_openstack as openstack

from sitevpn import HaMode, SiteVpn, SubnetAttachment

config = pulumi.Config()
external = openstack.networking.get_network_output(
    name=config.get("externalNetwork") or "public", external=True
)

# The application's own network: two tiers and the security group of its web servers.
network = openstack.networking.Network("app", name="app")
tiers = {"web": "10.50.1.0/24", "data": "10.50.2.0/24"}
subnets = {
    tier: openstack.networking.Subnet(f"app-{tier}", network_id=network.id, cidr=cidr, ip_version=4)
    for tier, cidr in tiers.items()
}
web = openstack.networking.SecGroup("web", name="web", description="web servers")

vpn = SiteVpn(
    "hq-link",
    {
        "ha_mode": HaMode.ACTIVE_ACTIVE,
        "interconnect_subnet": "10.50.0.0/28",
        "members": [
            {"name": "a", "external_network_id": external.id, "attach": SubnetAttachment.INTERFACE},
            {"name": "b", "external_network_id": external.id},
        ],
        "local_subnets": [
            {"name": tier, "cidr": tiers[tier], "subnet_id": s.id, "network_id": network.id}
            for tier, s in subnets.items()
        ],
        "sites": [
            {
                "name": "hq",
                "customer_gateway": {"addresses": ["22.10.10.22"]},
                "subnets": ["172.16.0.0/16"],
                "tunnels": [{"customer": "169.254.70.2/30"}, {"customer": "169.254.71.2/30"}],
            }
        ],
        "security_group_ids": {"web": web.id},
    },
)

pulumi.export("vpnGatewayIps", vpn.gateway_ips)
pulumi.export("deviceConfigs", vpn.device_configs)
