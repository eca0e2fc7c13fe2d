"""Read a Pulumi project's config for one stack, the way the CLI hands it to a program.

Generic: knows ``Pulumi.yaml`` (project config defaults, ``stackConfigDir``) and
``Pulumi.<stack>.yaml`` (``namespace:key`` values, structured values, ``secure:`` values), and
nothing about any particular program. Secure values cannot be decrypted offline: a value given
by the caller (``secrets``) or by the environment variable ``PULUMI_CONFIG_<KEY>`` is used,
otherwise the key stays an *unknown secret*, as in a preview that could not decrypt it.
"""

import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline_engine import safeyaml, sdk


class StackConfigError(Exception):
    """The project or stack file is missing or malformed (one clear line)."""


# Stands in for an undecryptable secret while the program runs; the recording runtime turns
# every value carrying it into an unknown, so nothing downstream mistakes it for a real key.
UNKNOWN_SECRET_MARKER = f"unknown-secret-{uuid.UUID(int=0x5EC0_0000_0000_4000_8000_0000_0000_0001)}"


# The Pulumi CLI's rule for a stack's own name; it is also a file name here.
_STACK_NAME = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}", re.ASCII)


@dataclass(frozen=True)
class Project:
    """A Pulumi project folder."""

    name: str
    directory: Path
    stack_config_dir: Path
    main: Path
    defaults: dict[str, Any]


@dataclass
class StackConfig:
    """Config for one stack in the engine's form: full keys, string values."""

    project: Project
    stack: str
    values: dict[str, str]
    secret_keys: set[str] = field(default_factory=set)
    unknown_secrets: set[str] = field(default_factory=set)


def load_project(directory: str | os.PathLike[str]) -> Project:
    """Read ``Pulumi.yaml`` from a project folder."""
    folder = Path(directory).resolve()
    document = _read_yaml(folder / "Pulumi.yaml")
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise StackConfigError(f"{folder / 'Pulumi.yaml'}: missing project 'name'")
    config_dir = folder / str(document.get("stackConfigDir", "."))
    main = folder / str(document.get("main", "."))
    if main.is_dir():
        main = main / "__main__.py"
    defaults = document.get("config") or {}
    if not isinstance(defaults, dict):
        raise StackConfigError(f"{folder / 'Pulumi.yaml'}: 'config' must be a mapping")
    return Project(document["name"], folder, config_dir, main, defaults)


def stack_names(project: Project) -> list[str]:
    """Stacks with a config file in the project's stack config folder."""
    prefix, suffix = "Pulumi.", ".yaml"
    return sorted(
        p.name[len(prefix) : -len(suffix)] for p in project.stack_config_dir.glob("Pulumi.*.yaml")
    )


def load_stack(
    project: Project,
    stack: str,
    secrets: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> StackConfig:
    """Merge project defaults and the stack file into the engine's config map."""
    environ = os.environ if environ is None else environ
    secrets = {_full_key(project.name, k): v for k, v in (secrets or {}).items()}
    if not _STACK_NAME.fullmatch(stack):
        raise StackConfigError(
            f"{stack[:100]!r} is not a stack name (letters, digits, '-', '_' and '.', at most 100)"
        )
    path = project.stack_config_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(stack_names(project)) or "none"
        raise StackConfigError(
            f"unknown stack '{stack}': no {path.name} in {project.stack_config_dir}"
            f" (stacks: {known})"
        )
    label = f"stack '{stack}' ({os.path.relpath(path, project.directory)})"
    document = _read_yaml(path, label) or {}
    if not isinstance(document, dict):
        raise StackConfigError(f"{label}: the stack file must be a mapping")
    stack_values = document.get("config") or {}
    if not isinstance(stack_values, dict):
        raise StackConfigError(f"{label}: 'config' must be a mapping")

    out = StackConfig(project, stack, {})
    for key, spec in project.defaults.items():
        # Pulumi.yaml allows plain values or typed declarations with a default/value.
        if isinstance(spec, dict) and {"type", "default", "value"} & set(spec):
            if "value" not in spec and "default" not in spec:
                continue
            spec = spec.get("value", spec.get("default"))
        _put(out, _full_key(project.name, key), spec, secrets, environ)
    for key, value in stack_values.items():
        _put(out, _full_key(project.name, str(key)), value, secrets, environ)
    unused = set(secrets) - out.secret_keys
    if unused:
        # A key the stack does not have may be part of a mistyped secret: it is not echoed.
        named = sorted(unused & set(out.values))
        what = f"{', '.join(named)} (not secure in this stack)" if named else "a key (not shown)"
        secure = ", ".join(sorted(out.secret_keys)) or "none"
        raise StackConfigError(
            f"--secret {what}: stack '{stack}' has no secure value for it; its secure keys: "
            f"{secure} (set one with `pulumi config set --secret KEY` first)"
        )
    return out


def _put(
    out: StackConfig, key: str, value: Any, secrets: Mapping[str, str], environ: Mapping[str, str]
) -> None:
    if _is_secure(value) or _contains_secure(value):
        out.secret_keys.add(key)
        given = secrets.get(key, environ.get(sdk.config_env_key(key)))
        if given is None:
            out.unknown_secrets.add(key)
            given = UNKNOWN_SECRET_MARKER
        out.values[key] = given
        return
    out.values[key] = _engine_string(value)


def _engine_string(value: Any) -> str:
    # The CLI passes structured values as JSON and scalars in their YAML spelling.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return str(value)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_secure(v) or _contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_secure(v) or _contains_secure(v) for v in value)
    return False


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _read_yaml(path: Path, label: str | None = None) -> Any:
    label = label or str(path)
    try:
        return safeyaml.load_file(path)
    except FileNotFoundError:
        raise StackConfigError(f"{label}: not found") from None
    except OSError as exc:
        raise StackConfigError(f"{label}: cannot read ({exc.strerror})") from None
    except safeyaml.YamlError as exc:
        raise StackConfigError(f"{label}: {exc}") from None
