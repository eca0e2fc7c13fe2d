"""Customer device configurations from an offline plan (the project's own renderer)."""

import importlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from sitevpn.plan import Plan

PSK_KEY = "site-vpn:psk"
UNKNOWN_PSK = (
    "<PSK: not known offline; pass --secret psk=... or read deviceConfigs after deployment>"
)


@contextmanager
def _project_on_path(directory: Path):
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))


def write_device_configs(plan: Plan, directory: Path) -> list[Path]:
    """Render every site's swanctl.conf into ``directory`` (files mode 0600: they hold the PSK)."""
    with _project_on_path(plan.project.directory):
        config = importlib.import_module("components.config")
        renderer = importlib.import_module("components.device_config")
        values = plan.stack.values
        cfg = config.load_stack_config(values, plan.stack.secret_keys, plan.stack.stack)
    known = PSK_KEY in values and PSK_KEY not in plan.stack.unknown_secrets
    psk = values[PSK_KEY] if known else UNKNOWN_PSK
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for design in renderer.designs_from_config(cfg, plan.stack.stack):
        path = directory / f"{plan.stack.stack}-{design.site}.swanctl.conf"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(renderer.render_swanctl(design, psk))
        path.chmod(0o600)  # also when the file already existed with wider permissions
        written.append(path)
    return written
