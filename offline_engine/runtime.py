"""Run a Pulumi Python program under the real SDK and record what the engine would receive.

Generic: a program (callable or project folder), a config map and a backend that answers
registrations and invokes. The monitor subclasses the SDK's own ``MockMonitor`` so the SDK's
serialization, secrets and dependency tracking stay real; it records every ``RegisterResource``
request (type, name, parent, dependencies, property dependencies, inputs in the engine's wire
form), registers default providers like the engine, and records component and stack outputs.
"""

import logging
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import resource_pb2

from offline_engine import sdk
from offline_engine.stackconfig import UNKNOWN_SECRET_MARKER

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One resource as the engine saw it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str = ""
    provider: str = ""
    id: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    additional_secret_outputs: list[str] = field(default_factory=list)
    protect: bool = False
    delete_before_replace: bool | None = None
    """None when the program left the option unset (the engine's goal holds a *bool)."""
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)


@dataclass
class Capture:
    """Everything one program run registered, exported and logged."""

    resources: list[Registration] = field(default_factory=list)
    stack_urn: str = ""
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    exception: BaseException | None = None

    def of_type(self, type_: str) -> list[Registration]:
        """Registrations of one type token, in registration order."""
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Registration:
        """The registration with this logical name."""
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def by_urn(self, urn: str) -> Registration:
        """The registration with this URN."""
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)


class Backend(Protocol):
    """What stands in for the providers: ids and outputs for resources, results for invokes."""

    def create(self, resource: Registration, preview: bool) -> tuple[str, dict[str, Any]]:
        """Return (id, outputs in wire form) for a custom resource."""
        ...

    def invoke(self, token: str, args: dict[str, Any], preview: bool) -> dict[str, Any] | None:
        """Return an invoke's result in wire form, or None when it cannot be known."""
        ...


class EchoBackend:
    """Offline stand-in: outputs echo inputs; ids and provider lookups are unknown in preview."""

    def create(self, resource: Registration, preview: bool) -> tuple[str, dict[str, Any]]:
        """Echo the inputs; a preview knows no id."""
        return ("" if preview else f"{resource.name}-id"), dict(resource.inputs)

    def invoke(self, token: str, args: dict[str, Any], preview: bool) -> dict[str, Any] | None:
        """Nothing can be looked up without a cloud."""
        return None


def _mask_unknown_secrets(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if UNKNOWN_SECRET_MARKER in value else value
    if isinstance(value, dict):
        return {k: _mask_unknown_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_unknown_secrets(v) for v in value]
    return value


def _to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    json_format.ParseDict(dict(value), out)
    return out


def _from_struct(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


class _NoMocks(sdk.Mocks):
    def call(self, args):  # pragma: no cover - the recording monitor answers invokes itself
        return {}

    def new_resource(self, args):  # pragma: no cover - likewise for registrations
        return "", {}


class RecordingMonitor(sdk.MockMonitor):
    """The SDK's mock monitor, recording requests in the engine's form."""

    def __init__(
        self,
        backend: Backend,
        preview: bool,
        capture: Capture,
        *,
        project: str | None = None,
        stack: str | None = None,
    ):
        super().__init__(_NoMocks())
        self.backend = backend
        self.preview = preview
        self.capture = capture
        # Behind a gRPC service (a provider's Construct) there are no SDK settings to ask.
        self.project, self.stack = project, stack
        self._default_providers: dict[tuple[str, str], str] = {}
        self._registered: dict[str, Registration] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN for a registration: the parent's whole qualified type chain, joined
        with ``$``, before the type, and nothing for a child of the stack (the engine's
        ``urn.New``; the SDK's mock keeps only the parent's last type)."""
        stack = self.stack if self.stack is not None else pulumi.get_stack()
        project = self.project if self.project is not None else pulumi.get_project()
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{stack}::{project}::{type_}::{name}"

    def _default_provider(self, type_: str, version: str) -> str:
        package = type_.split(":", 1)[0]
        key = (package, version)
        if key not in self._default_providers:
            name = "default" + (
                f"_{version.replace('.', '_').replace('-', '_')}" if version else ""
            )
            provider_type = f"pulumi:providers:{package}"
            urn = self.make_urn("", provider_type, name)
            reg = Registration(
                urn=urn,
                type=provider_type,
                name=name,
                custom=True,
                id=f"{package}-default-provider",
                inputs={"version": version} if version else {},
            )
            reg.outputs = dict(reg.inputs)
            self.capture.resources.append(reg)
            self._default_providers[key] = f"{urn}::{reg.id}"
        return self._default_providers[key]

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.capture.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if urn in self._registered:
            # The engine refuses a second registration of one URN (the step generator's check).
            raise pulumi.RunError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        provider = request.provider
        if request.custom and not provider and not request.type.startswith("pulumi:providers:"):
            provider = self._default_provider(request.type, request.version)
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=provider,
            inputs=_mask_unknown_secrets(_from_struct(request.object)),
            dependencies=list(request.dependencies),
            property_dependencies={
                k: list(v.urns) for k, v in request.propertyDependencies.items()
            },
            additional_secret_outputs=list(request.additionalSecretOutputs),
            protect=bool(request.protect),
            # As the engine reads a registration (source_eval.go): set when defined or true.
            delete_before_replace=(
                bool(request.deleteBeforeReplace)
                if request.deleteBeforeReplaceDefined or request.deleteBeforeReplace
                else None
            ),
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
        )
        self.capture.resources.append(reg)
        self._registered[urn] = reg
        if not reg.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        reg.id, reg.outputs = self.backend.create(reg, self.preview)
        reg.outputs = _mask_unknown_secrets(reg.outputs)
        self.resources[urn] = sdk.MockMonitor.ResourceRegistration(urn, reg.id, reg.outputs)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=reg.id, object=_to_struct(reg.outputs)
        )

    def RegisterResourceOutputs(self, request):
        outputs = _mask_unknown_secrets(_from_struct(request.outputs))
        if request.urn == self.capture.stack_urn:
            self.capture.stack_outputs = outputs
        else:
            reg = self._registered.get(request.urn)
            if reg is not None:
                reg.outputs = outputs
        return empty_pb2.Empty()

    def Invoke(self, request):
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        result = self.backend.invoke(request.tok, _from_struct(request.args), self.preview)
        if result is None:
            return resource_pb2.ResourceInvokeResponse(unknown=True)
        return resource_pb2.ResourceInvokeResponse(**{"return": _to_struct(result)})


# What the program logs through the engine; each run attaches its own capture for its duration.
_PROGRAM_LOG = logging.getLogger("offline_engine.program")
_PROGRAM_LOG.propagate = False
_PROGRAM_LOG.setLevel(logging.DEBUG)


class _LogCapture(logging.Handler):
    # Info and above, as the engine shows without --debug: the SDK's debug lines carry
    # serialized resource properties, secrets included (pulumi 3.259).
    def __init__(self, capture: Capture):
        super().__init__(logging.INFO)
        self.capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        self.capture.logs.append((record.levelname.lower(), record.getMessage()))


def run(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: set[str] | None = None,
    preview: bool = True,
    backend: Backend | None = None,
) -> Capture:
    """Run ``program`` as the engine would, recording every registration; never raises for
    program errors (they land in ``Capture.error``)."""
    capture = Capture()
    handler = _LogCapture(capture)
    _PROGRAM_LOG.addHandler(handler)
    # The SDK keeps project and stack in context variables, which its executor threads (where
    # the monitor answers) do not see: the monitor is told them.
    monitor = RecordingMonitor(
        backend or EchoBackend(), preview, capture, project=project, stack=stack
    )
    sdk.install(
        config or {},
        sorted(secret_keys or ()),
        project,
        stack,
        preview,
        monitor,
        _PROGRAM_LOG,
        _NoMocks(),
    )
    try:
        sdk.run_program(program)
    except pulumi.RunError as exc:
        capture.error = str(exc)
        capture.exception = exc
    except Exception as exc:
        capture.error = f"{type(exc).__name__}: {exc}"
        capture.exception = exc
    finally:
        sdk.reset_root()
        _PROGRAM_LOG.removeHandler(handler)
    return capture


@contextmanager
def _project_path(directory: Path) -> Iterator[None]:
    old_cwd, old_path = Path.cwd(), list(sys.path)
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path


def run_project(main: Path, **kwargs: Any) -> Capture:
    """Run a project's ``__main__.py`` (with its folder as cwd and on sys.path)."""
    main = Path(main).resolve()

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    with _project_path(main.parent):
        return run(program, **kwargs)
