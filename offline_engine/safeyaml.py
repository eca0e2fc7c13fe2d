"""One hardened way to read a YAML file written by a person or a script (no Pulumi import).

bytes -> text (UTF-8 only, no control characters) -> YAML 1.2 core schema, as the Pulumi CLI
reads stack files (``yes``, ``on``, ``1:30``, ``2024-01-01`` stay strings), with nesting depth,
integer size and alias expansion bounded and duplicate keys refused. Only plain data comes out:
mappings, sequences, strings, integers, floats, booleans and null. Every refusal is a
:class:`YamlError` whose message is one line with the line and column, never a traceback.
"""

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import BaseResolver

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_INT_DIGITS = 19  # what fits a 64-bit integer, as the CLI's YAML library reads it
# Nodes after expanding every alias: a 1,000-site stack has ~50,000; "billion laughs" 10**9.
MAX_EXPANDED_NODES = 1_000_000
# Unicode's control characters (category Cc) but tab, newline and carriage return; strict UTF-8
# decoding already refuses surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class YamlError(ValueError):
    """The file is not acceptable YAML; the message is one line with its position."""


class _Refusal(Exception):
    """A refusal found while composing or constructing, with the node's position and key path."""

    def __init__(self, problem: str, mark: Any, path: str = "") -> None:
        super().__init__(problem)
        self.problem, self.mark, self.path = problem, mark, path


class _Resolver(BaseResolver):
    """YAML 1.2 core schema: the only implicit types are these (no YAML 1.1 booleans, sexagesimal
    numbers or timestamps)."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", re.ASCII),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        re.ASCII,
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


class _Constructor(SafeConstructor):
    """Plain data only; duplicate keys and oversized integers refused with their position."""

    yaml_constructors: dict = {}  # PyYAML's registry of this class, filled below

    def construct_yaml_int(self, node: Node) -> int:
        text = str(self.construct_scalar(node)).replace("_", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            raise self.refuse(
                f"an integer of {len(digits)} digits (at most {MAX_INT_DIGITS})", node
            )
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        return sign * int(digits, 10)

    def construct_mapping(self, node: Node, deep: bool = False) -> dict:
        if isinstance(node, MappingNode):
            # Explicit keys only: a key given next to a merge (<<) overrides the merged one.
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    raise self.refuse("a mapping key must be a plain value", key_node) from None
                if first is not None:
                    raise self.refuse(
                        f"duplicate key {key!r} (first at line {first.line + 1})", key_node
                    )
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_refused(self, node: Node) -> Any:
        raise self.refuse(f"the tag {node.tag} is not allowed (plain data only)", node)

    def refuse(self, problem: str, node: Node) -> _Refusal:
        """A refusal naming the node's line, column and key path."""
        return _Refusal(problem, node.start_mark, self.paths.get(id(node), ""))  # type: ignore[attr-defined]


for _tag, _method in (
    ("tag:yaml.org,2002:null", SafeConstructor.construct_yaml_null),
    ("tag:yaml.org,2002:bool", SafeConstructor.construct_yaml_bool),
    ("tag:yaml.org,2002:int", _Constructor.construct_yaml_int),
    ("tag:yaml.org,2002:float", SafeConstructor.construct_yaml_float),
    ("tag:yaml.org,2002:str", SafeConstructor.construct_yaml_str),
    ("tag:yaml.org,2002:seq", SafeConstructor.construct_yaml_seq),
    ("tag:yaml.org,2002:map", SafeConstructor.construct_yaml_map),
    (None, _Constructor.construct_refused),
):
    _Constructor.add_constructor(_tag, _method)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Constructor,
    _Resolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)
        self._path: list[str] = []
        self.paths: dict[int, str] = {}
        self.positions: dict[str, tuple[int, int]] = {}
        """Key path -> (line, column) where its value starts (1-based), first occurrence."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        # PyYAML composes recursively: stop long before Python's recursion limit. The path of
        # every node is kept so that errors can name the key, not only the line.
        if isinstance(index, int):
            self._path.append(f"[{index}]")
        elif isinstance(index, Node):
            self._path.append(f".{index.value}" if isinstance(index.value, str) else ".?")
        else:
            self._path.append("")
        try:
            if len(self._path) > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refusal(f"nested deeper than {MAX_DEPTH} levels", mark, self.key_path())
            node = super().compose_node(parent, index)
            self.paths.setdefault(id(node), self.key_path())
            mark = node.start_mark
            self.positions.setdefault(self.key_path(), (mark.line + 1, mark.column + 1))
            return node
        finally:
            self._path.pop()

    def key_path(self) -> str:
        """Where the composer is, as ``a.b[0].c``."""
        return "".join(self._path).lstrip(".")


def _expanded_size(root: Node, paths: dict[int, str]) -> int:
    """Nodes the document has once every alias is expanded (shared nodes counted per use)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            sizes[key] = 1
            continue
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise _Refusal(
                    f"aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                    node.start_mark,
                    paths.get(key, ""),
                )
            continue
        if key in open_nodes:
            raise _Refusal("an alias refers to its own anchor", node.start_mark, paths.get(key, ""))
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line} column {column}"


def decode(data: bytes) -> str:
    """UTF-8 text without control characters (tab, newline and carriage return allowed)."""
    if len(data) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = _position(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise YamlError(
            f"{where}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None
    control = _CONTROL.search(text)
    if control:
        where = _position(text, control.start())
        raise YamlError(f"{where}: control character U+{ord(control.group()):04X}")
    return text


def loads(text: str) -> Any:
    """Parse one YAML document of plain data; YamlError with the position otherwise."""
    return loads_with_positions(text)[0]


def loads_with_positions(text: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    """``loads``, and where each value starts: key path (``[0].a.b[1]``) -> (line, column)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _expanded_size(node, loader.paths)
        return loader.construct_document(node), loader.positions
    except _Refusal as exc:
        where = f"line {exc.mark.line + 1} column {exc.mark.column + 1}: "
        path = exc.path if len(exc.path) <= 100 else exc.path[:97] + "..."
        raise YamlError(where + (f"{path}: " if path else "") + exc.problem) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        raise YamlError(f"{where}{problem}") from None
    except yaml.YAMLError as exc:  # ReaderError and friends carry no mark
        raise YamlError(str(exc).splitlines()[0]) from None
    finally:
        loader.dispose()


def load_file(path: Path) -> Any:
    """Read and parse ``path``; YamlError (one line, with position) for anything unacceptable."""
    return loads(decode(path.read_bytes()))


def load_file_with_positions(path: Path) -> tuple[Any, dict[str, tuple[int, int]]]:
    """``load_file``, and where each value starts (``loads_with_positions``)."""
    return loads_with_positions(decode(path.read_bytes()))
