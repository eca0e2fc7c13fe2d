"""Generated PSKs change scope only with a new generation (pure: no Pulumi import).

``pskScope`` decides whether connection 2 has a key of its own; its key is a new secret either
way round, and the customer device must hold a key before the cloud uses it. So a scope change
rides on a rotation: the next generation is prepared in the new scope (``pskRotation.scope``),
the devices load it, and raising the generation moves both connections to it, one tunnel at a
time. Every deployment with generated keys exports which generation and scope its connections
use (``pskInUse``); a stack file that changes the scope of the generation in use is refused
before anything is registered.
"""

from collections.abc import Mapping

from sitevpn import defaults
from sitevpn.enums import PskScope

OUTPUT = "pskInUse"
"""Stack output: the generation and scope of the connections' generated keys."""


def in_use(generation: int, scope: PskScope, configured: bool = False) -> dict[str, object]:
    """What a deployment exports under ``OUTPUT`` (``configured``: a PSK given in the stack
    config, so no generation)."""
    if configured:
        return {"configured": True}
    return {"generation": generation, "scope": str(scope)}


def refusal(
    stack: str, outputs: Mapping[str, object] | None, generation: int, scope: PskScope
) -> str | None:
    """Why this update may not use ``scope`` for ``generation`` (None: it may). A deployment
    from before site-vpn exported ``pskInUse`` used generation 1, one key a pair."""
    if not outputs:
        return None  # never deployed: nothing to keep
    last = outputs.get(OUTPUT)
    if isinstance(last, Mapping) and last.get("configured"):
        return None  # keys given, not generated: the first generated ones are new anyway
    if not isinstance(last, Mapping):
        if "sites" not in outputs:
            return None  # not a deployment of generated keys
        last = in_use(defaults.PSK_FIRST_GENERATION, PskScope.PAIR)
    if last.get("generation") != generation or last.get("scope") == str(scope):
        return None
    return (
        f"stack '{stack}': site-vpn:pskScope = {scope}, but generation {generation}'s keys are "
        f"one {'a pair' if last.get('scope') == 'pair' else 'a connection'} and the devices "
        f"hold them: a scope changes with a new generation. Prepare it first "
        f"(pskRotation: {{generation: {generation}, prepare: true, scope: {scope}}}), load the "
        f"devices' new secrets, then pskRotation: {{generation: {generation + 1}}} with pskScope "
        f"{scope} (README, Day 2)"
    )
