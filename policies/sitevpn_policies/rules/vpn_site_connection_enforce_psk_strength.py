"""vpn-site-connection-enforce-psk-strength"""

from ..checks.psk import psk_problems
from ..frame import Severity, resource_rule
from ..support import SITE_CONNECTION


@resource_rule(
    types={SITE_CONNECTION},
    description="Site connection pre-shared keys must be 16-128 characters with at least three "
    "of upper case, lower case, digits and the allowed specials.",
    severity=Severity.CRITICAL,
    remediation="Set the PSK from a secret (`pulumi config set --secret psk ...`) or let site-vpn "
    "generate one (32 characters, pulumi-random). Allowed specials: ~!@#$%^*()-_+={},./:;",
    config={
        "minPskLength": {
            "type": "integer",
            "minimum": 8,
            "maximum": 128,
            "default": 16,
            "description": "Shortest pre-shared key allowed (the reference allows 8-128).",
        }
    },
)
def POLICY(rule):
    """The PSK is long enough, mixes at least three character classes and uses only the
    documented specials. Messages never contain the key."""
    psk = rule.props.get("psk")
    if psk is None:
        rule.report("psk", None, "a pre-shared key is required", show=False)
        return
    for problem in psk_problems(str(psk), int(rule.config("minPskLength"))):
        rule.report("psk", None, problem, show=False)
