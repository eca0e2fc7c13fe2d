"""Sites kept in files of the project instead of the stack config (no Pulumi import).

The engine hands the whole stack config to the program in one environment string, which Linux
caps at 128 KiB (a few hundred sites); ``siteFiles`` keeps the stack config small however many
sites there are. Each file holds one site (a mapping) or a list of sites, in the stack file's
own spelling, read with the same hostile-input rules (``offline_engine.safeyaml``). The sites
join ``sites`` before validation, so the same models judge them; errors name the file, line
and column (``SiteFiles.where``).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from offline_engine import safeyaml

KEY = "siteFiles"


class SiteFileError(ValueError):
    """A pattern or file that cannot be read as sites (message names the key or the file)."""


@dataclass(frozen=True)
class Origin:
    """Where one site came from."""

    file: str
    """The file, relative to the project, as the user wrote the project's paths."""
    prefix: str
    """Its key path inside the file: ``[j]`` in a list of sites, empty for a one-site file."""
    positions: dict[str, tuple[int, int]] = field(repr=False, compare=False)
    """Key path in the file -> (line, column)."""


@dataclass(frozen=True)
class SiteFiles:
    """The sites read from files, in order, and where each came from."""

    sites: list[Any]
    origins: list[Origin]

    def where(self, index: int, rest: Sequence[str | int]) -> str:
        """``<file> line L column C: <path in the file>`` for site ``index`` (of the files'
        sites) and the key path ``rest`` inside it."""
        origin = self.origins[index]
        parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest]
        path = origin.prefix + "".join(parts)
        # the nearest enclosing value that has a position (a missing key has none)
        for cut in range(len(parts), -1, -1):
            found = origin.positions.get((origin.prefix + "".join(parts[:cut])).lstrip("."))
            if found:
                line, column = found
                return f"{origin.file} line {line} column {column}: {path.lstrip('.') or 'site'}"
        return f"{origin.file}: {path.lstrip('.') or 'site'}"


def _pattern(index: int, pattern: Any) -> str:
    where = f"site-vpn:{KEY}[{index}]"
    if not isinstance(pattern, str) or not pattern.strip():
        raise SiteFileError(f"{where}: a file pattern is a non-empty string, e.g. 'sites/*.yaml'")
    path = PurePosixPath(pattern)
    if path.is_absolute() or ".." in path.parts or "\\" in pattern:
        raise SiteFileError(
            f"{where} = {pattern!r}: a pattern is relative to the project folder and stays in "
            "it (no absolute path, no '..')"
        )
    return pattern


def read(patterns: Any, project: Path) -> SiteFiles:
    """The sites of every file the patterns match (each pattern's files in name order, a file
    once), or SiteFileError naming the key, the pattern or the file."""
    if not isinstance(patterns, list):
        raise SiteFileError(f"site-vpn:{KEY}: a list of file patterns, e.g. ['sites/*.yaml']")
    root = project.resolve()
    files: list[Path] = []
    for index, raw in enumerate(patterns):
        pattern = _pattern(index, raw)
        matched = sorted(p for p in root.glob(pattern) if p.is_file())
        if not matched:
            raise SiteFileError(
                f"site-vpn:{KEY}[{index}] = {pattern!r}: matches no file in the project folder"
            )
        for path in matched:
            if not path.resolve().is_relative_to(root):
                raise SiteFileError(
                    f"site-vpn:{KEY}[{index}] = {pattern!r}: {path.relative_to(root)} leads "
                    "out of the project folder (a link)"
                )
            if path not in files:
                files.append(path)
    sites: list[Any] = []
    origins: list[Origin] = []
    for path in files:
        name = path.relative_to(root).as_posix()
        try:
            data, positions = safeyaml.load_file_with_positions(path)
        except (safeyaml.YamlError, OSError) as exc:
            raise SiteFileError(f"{name}: {exc}") from None
        if isinstance(data, dict):
            sites.append(data)
            origins.append(Origin(name, "", positions))
        elif isinstance(data, list) and data:
            sites += data
            origins += [Origin(name, f"[{j}]", positions) for j in range(len(data))]
        else:
            raise SiteFileError(f"{name}: holds one site (a mapping) or a list of sites")
    return SiteFiles(sites, origins)
