"""Customer device configurations from an offline plan."""

import os
from pathlib import Path

from sitevpn import config, device_config
from sitevpn.plan import Plan

PSK_KEY = "site-vpn:psk"
UNKNOWN_PSK = (
    "<PSK: not known offline; pass --secret psk=... or read deviceConfigs after deployment>"
)


def write_device_configs(plan: Plan, directory: Path) -> list[Path]:
    """Render every site's swanctl.conf into ``directory`` (files mode 0600: they hold the PSK)."""
    values = plan.stack.values
    cfg = config.load_stack_config(values, plan.stack.secret_keys, plan.stack.stack)
    known = PSK_KEY in values and PSK_KEY not in plan.stack.unknown_secrets
    psk = values[PSK_KEY] if known else UNKNOWN_PSK
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for design in device_config.designs_from_config(cfg, plan.stack.stack):
        path = directory / f"{plan.stack.stack}-{design.site}.swanctl.conf"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(device_config.render_swanctl(design, psk))
        path.chmod(0o600)  # also when the file already existed with wider permissions
        written.append(path)
    return written
