"""site-vpn: stack config -> components -> exports. Nothing else belongs here."""

import pulumi

from sitevpn.program import build, exports, read_config

config = read_config()
vpn = build(config)
for key, value in exports(vpn, config).items():
    pulumi.export(key, value)
