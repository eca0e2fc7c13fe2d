"""Customer device configurations from an offline plan."""

import os
from collections.abc import Mapping
from pathlib import Path

from sitevpn import config, device_config
from sitevpn.plan import Plan

PSK_KEY = "site-vpn:psk"
UNKNOWN_PSK = (
    "<PSK: not known offline; pass --secret psk=... or read deviceConfigs after deployment>"
)


def write_private(path: Path, text: str) -> Path:
    """Write a file only its owner can read (device configurations hold the PSK)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    path.chmod(0o600)  # also when the file already existed with wider permissions
    return path


def write_device_configs(
    plan: Plan, directory: Path, gateway_ips: Mapping[str, str] | None = None
) -> list[Path]:
    """Render every site's swanctl.conf into ``directory`` (files mode 0600: they hold the PSK),
    with the members' EIPs where given."""
    values = plan.stack.values
    cfg = config.load_stack_config(
        values, plan.stack.secret_keys, plan.stack.stack, plan.project.directory
    )
    known = PSK_KEY in values and PSK_KEY not in plan.stack.unknown_secrets
    psk = values[PSK_KEY] if known else UNKNOWN_PSK
    members = [m.name for m in cfg.gateway.members]
    unknown = sorted(set(gateway_ips or {}) - set(members))
    if unknown:
        raise ValueError(
            f"stack '{plan.stack.stack}': --gateway-ip names {', '.join(unknown)}, not a member "
            f"of gateway.members ({', '.join(members)})"
        )
    designs = device_config.designs_from_config(cfg, plan.stack.stack, gateway_ips)
    return [
        write_private(
            directory / f"{plan.stack.stack}-{design.site}.swanctl.conf",
            device_config.render_swanctl(design, psk),
        )
        for design in designs
    ]
