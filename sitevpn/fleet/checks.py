"""What no single stack of a fleet can see: two stacks on one gateway claiming the same site key
(Neutron objects and device configs of one name) or the same tunnel /30 (the policy pack checks
reuse within a stack only). Checked by `site-vpn fleet` before any stack runs (no Pulumi
import)."""

from collections.abc import Mapping, Sequence
from pathlib import Path

from netaddr import IPNetwork

from offline_engine import stackconfig
from sitevpn.config import ConfigError, load_stack_config


def claims(project: Path, stacks: Sequence[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """Per stack whose config is valid: (site key, its tunnel /30 blocks) of each site. A stack
    that does not load is left out: its own run names its problem."""
    out = {}
    project_settings = stackconfig.load_project(project)
    for stack in stacks:
        try:
            loaded = stackconfig.load_stack(project_settings, stack, environ={})
            cfg = load_stack_config(loaded.values, loaded.secret_keys, stack, project)
        except (stackconfig.StackConfigError, ConfigError):
            continue
        out[stack] = [
            (site.name, [str(IPNetwork(str(t.customer)).cidr) for t in site.tunnels])
            for site in cfg.sites
        ]
    return out


def collisions(claimed: Mapping[str, Sequence[tuple[str, Sequence[str]]]]) -> dict[str, list[str]]:
    """Per stack, each site key or tunnel /30 another stack of the fleet claims too."""
    owners: dict[tuple[str, str], list[str]] = {}
    for stack, sites in claimed.items():
        for site, blocks in sites:
            owners.setdefault(("site key", site), []).append(stack)
            for block in blocks:
                owners.setdefault(("tunnel /30", block), []).append(stack)
    problems: dict[str, list[str]] = {}
    for (what, value), stacks in owners.items():
        if len(set(stacks)) < 2:
            continue
        for stack in dict.fromkeys(stacks):
            others = ", ".join(s for s in dict.fromkeys(stacks) if s != stack)
            problems.setdefault(stack, []).append(f"{what} {value} is also in stack {others}")
    return problems
