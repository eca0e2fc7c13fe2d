"""Generated hub-and-spoke stacks of any size, for benchmarks (valid and policy-clean)."""

from typing import Any


def hub_config(sites: int, subnets_per_site: int = 10) -> dict[str, Any]:
    """site-vpn config values for one active-active gateway with ``sites`` sites."""

    def subnet(index: int) -> str:
        # /24 number ``index``: 10/8 holds 65,536 of them, then 11/8 and on
        return f"{10 + index // 65536}.{(index // 256) % 256}.{index % 256}.0/24"

    def tunnel(index: int) -> str:
        # /30 number ``index`` in 169.254.0.0/16, skipping the reserved 169.254.195.0/24; the
        # 16,320 there give 8,160 sites tunnels of their own, beyond that they repeat (which
        # the pack reports, as it must)
        index %= 16320
        block = index + (64 if index >= 195 * 64 else 0)
        return f"169.254.{block // 64}.{(block % 64) * 4 + 2}/30"

    return {
        "vpc": {"create": True, "subnets": [{"name": "app", "cidr": "192.168.1.0/24"}]},
        "gateway": {
            "haMode": "active-active",
            "interconnectSubnet": "192.168.2.0/24",
            "externalNetwork": {"name": "public"},
        },
        "sites": [
            {
                "name": f"dc{i}",
                "customerGateway": {"addresses": [f"22.{i // 256}.{i % 256}.22"]},
                "subnets": [subnet(i * subnets_per_site + k) for k in range(subnets_per_site)],
                "tunnels": [{"customer": tunnel(2 * i)}, {"customer": tunnel(2 * i + 1)}],
            }
            for i in range(sites)
        ],
    }
