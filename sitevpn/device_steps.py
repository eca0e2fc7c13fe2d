"""The customer device moves one tunnel at a time too (no Pulumi import).

strongSwan's ``swanctl --load-conns`` replaces every connection whose IKE settings changed by
terminating its SAs and starting it again, and a changed child is replaced the same way: loading
a new swanctl.conf at once bounces both tunnels of a pair. So a change of the device's
configuration is loaded in steps, each moving one connection (and its secret) from the
configuration the device runs to the new one, the other tunnel carrying meanwhile.

The files are site-vpn's own (``device_config.render_swanctl``): a header of comments, then a
``connections`` and a ``secrets`` section whose blocks are named after the site's connections.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace

_INDENT = "    "


class DeviceConfigError(ValueError):
    """A file that is not a site-vpn device configuration, or two that cannot be stepped."""


@dataclass(frozen=True)
class Step:
    """One load of the device's configuration."""

    connection: str
    """The connection it moves (``<site>-<key>``, also its IKE and CHILD_SA name)."""
    text: str
    """The whole file to load."""


@dataclass(frozen=True)
class Swanctl:
    """A site's swanctl.conf as its blocks, in order."""

    header: tuple[str, ...]
    """The comment lines before the sections."""
    connections: Mapping[str, str]
    """Connection name (``<site>-<key>``) -> its block, indented as in the file."""
    secrets: Mapping[str, str]
    """Secret name (``ike-<site>-<key>``) -> its block."""

    def text(self) -> str:
        """The file."""
        lines = [*self.header, "", "connections {"]
        lines += [block for block in self.connections.values()]
        lines += ["}", "", "secrets {"]
        lines += [block for block in self.secrets.values()]
        lines += ["}", ""]
        return "\n".join(lines)


def _blocks(lines: list[str], section: str) -> dict[str, str]:
    """The named blocks of one top-level section (``name {`` at one indent, ``}`` closing it)."""
    blocks: dict[str, str] = {}
    name, body = None, []
    for number, line in enumerate(lines, 1):
        if name is None:
            if not (line.startswith(_INDENT) and line.endswith(" {") and line[4] != " "):
                raise DeviceConfigError(f"{section}: line {number} does not open a block")
            name, body = line.strip()[:-2].strip(), [line]
            if name in blocks:
                raise DeviceConfigError(f"{section}: '{name}' appears twice")
            continue
        body.append(line)
        if line == f"{_INDENT}}}":
            blocks[name] = "\n".join(body)
            name = None
    if name is not None:
        raise DeviceConfigError(f"{section}: block '{name}' is not closed")
    return blocks


def parse(text: str) -> Swanctl:
    """A site-vpn device configuration as its blocks; DeviceConfigError for anything else."""
    lines = text.split("\n")
    sections: dict[str, list[str]] = {}
    header: list[str] = []
    current = None
    for number, line in enumerate(lines, 1):
        if current is None:
            if line in ("connections {", "secrets {"):
                current = line[:-2]
                if current in sections:
                    raise DeviceConfigError(f"more than one '{current}' section (one site a file)")
                sections[current] = []
            elif line.startswith("#") and "connections" not in sections:
                header.append(line)
            elif line.strip():
                # the line itself is not shown: it may carry a secret
                raise DeviceConfigError(f"line {number}: unexpected line outside the sections")
        elif line == "}":
            current = None
        else:
            sections[current].append(line)
    if current is not None or set(sections) != {"connections", "secrets"}:
        raise DeviceConfigError("not a site-vpn device configuration (sections missing)")
    return Swanctl(
        tuple(header),
        _blocks(sections["connections"], "connections"),
        _blocks(sections["secrets"], "secrets"),
    )


def secret_of(connection: str) -> str:
    """The name of a connection's secret block."""
    return f"ike-{connection}"


def steps(current: str, target: str) -> list[Step]:
    """The files to load in order to go from ``current`` to ``target`` one connection at a time:
    each differs from the one before in one connection and its secret, the last is ``target``
    itself; empty when nothing differs. Wait for that connection's tunnel between two loads."""
    now, then = parse(current), parse(target)
    if list(now.connections) != list(then.connections) or set(now.secrets) != set(then.secrets):
        raise DeviceConfigError(
            "the two files have different connections "
            f"({', '.join(now.connections)} / {', '.join(then.connections)}): "
            "load the new file as it is (a new or renamed site has no tunnel to keep)"
        )
    moved = [
        name
        for name in then.connections
        if now.connections[name] != then.connections[name]
        or now.secrets.get(secret_of(name)) != then.secrets.get(secret_of(name))
    ]
    out = []
    state = now
    for position, name in enumerate(moved, 1):
        if position == len(moved):
            out.append(Step(name, target))
            break
        secret = secret_of(name)
        state = replace(
            state,
            connections={**state.connections, name: then.connections[name]},
            secrets={**state.secrets, secret: then.secrets[secret]}
            if secret in then.secrets
            else state.secrets,
        )
        note = (
            f"# site-vpn: step {position} of {len(moved)}: {', '.join(moved[:position])} as in "
            "the new configuration, the others as before; load it, wait for the tunnel, then "
            "the next step."
        )
        out.append(Step(name, replace(state, header=(*then.header, note)).text()))
    return out
