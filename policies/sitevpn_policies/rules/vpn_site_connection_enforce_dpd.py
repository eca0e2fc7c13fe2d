"""vpn-site-connection-enforce-dpd"""

from ..frame import Severity, resource_rule
from ..support import SITE_CONNECTION

ACTIONS = ("restart", "hold")


@resource_rule(
    types={SITE_CONNECTION},
    description="Dead peer detection must restart or hold, with a timeout greater than its "
    "interval.",
    severity=Severity.MEDIUM,
    remediation="Set dpds=[{'action': 'restart', 'interval': 30, 'timeout': 120}] on the "
    "SiteConnection.",
)
def POLICY(rule):
    """DPD acts on a dead peer (restart or hold) and its timeout exceeds its interval."""
    for index, dpd in enumerate(rule.prop("dpds") or []):
        action = dpd.get("action") or "hold"
        if action not in ACTIONS:
            rule.report(f"dpds[{index}].action", action, f"must be one of {', '.join(ACTIONS)}")
        interval, timeout = dpd.get("interval", 30), dpd.get("timeout", 120)
        if interval is not None and timeout is not None and timeout <= interval:
            rule.report(
                f"dpds[{index}].timeout",
                timeout,
                f"must be greater than the interval ({interval:g} s)",
            )
