"""site-vpn: stack config -> components -> exports. Nothing else belongs here."""

import pulumi

from sitevpn.program import build, read_config

vpn = build(read_config())

pulumi.export("haMode", vpn.ha_mode)
pulumi.export("gatewayIps", vpn.gateway_ips)
pulumi.export("localCidrs", vpn.local_cidrs)
pulumi.export("interconnectSubnet", vpn.interconnect_subnet)
pulumi.export("sites", vpn.sites)
pulumi.export("deviceConfigs", vpn.device_configs)  # secret: holds the PSK
