"""site-vpn: stack config -> components -> exports. Nothing else belongs here."""

import pulumi

from sitevpn.program import build, gateway_members, psk_in_use, read_config, vpc_subnets

config = read_config()
vpn = build(config)

pulumi.export("haMode", vpn.ha_mode)
pulumi.export("gatewayIps", vpn.gateway_ips)
pulumi.export("gatewayMembers", gateway_members(vpn, config))  # what the next update may not delete
pulumi.export("vpcSubnets", vpc_subnets(config))  # what the next update may not delete
pulumi.export("pskInUse", psk_in_use(config))  # what the next update may not re-scope
pulumi.export("localCidrs", vpn.local_cidrs)
pulumi.export("interconnectSubnet", vpn.interconnect_subnet)
pulumi.export("sites", vpn.sites)
pulumi.export("deviceConfigs", vpn.device_configs)  # secret: holds the PSK
