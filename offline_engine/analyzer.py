"""Drive a Python policy pack the way the Pulumi engine does.

Generic: takes a pack folder and a recorded program run; knows nothing about VPNs.

Two transports carry the very same protobuf requests:
- ``GrpcTransport``: the pack as a plugin process, launched like the engine launches it (cwd = pack
  folder, ``python -u -m pulumi.policy <engine-address> .``, env ``PULUMI_CONFIG``,
  ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_ORGANIZATION``, ``PULUMI_DRY_RUN``), its port read
  from the first stdout line, then driven over the Analyzer gRPC service.
- ``InProcessTransport``: the policy SDK's own servicer (the object the gRPC server dispatches
  to) fed the same requests in this process; fast, for unit tests and the default plan.

The session does what the engine does around the calls: ``GetAnalyzerInfo``, config
reconciliation (schema defaults -> the pack's initial config -> the user's config file, ``all``
first, then per policy; validated against each policy's schema), one ``Configure`` that always
carries an enforcement level *and* properties for every policy (a level left out would read as
advisory), ``Analyze`` per resource (its inputs), then ``AnalyzeStack`` (every resource's outputs).
"""

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from offline_engine import sdk
from offline_engine.plugin import PluginError, PluginProcess
from offline_engine.runtime import Capture, Registration

LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


class PackError(Exception):
    """The pack could not be started, or its config is invalid (one clear line)."""


@dataclass(frozen=True)
class PolicyMeta:
    """What GetAnalyzerInfo says about one policy."""

    name: str
    description: str
    enforcement_level: str
    severity: str
    remediation_steps: str
    config_schema: dict[str, Any]
    kind: str  # "resource" or "stack"


@dataclass(frozen=True)
class Diagnostic:
    """One violation (or 'could not run') reported by the pack."""

    policy: str
    enforcement_level: str
    message: str
    urn: str
    severity: str
    description: str


@dataclass
class Report:
    """Everything the pack said about one program run."""

    pack: str
    version: str
    policies: list[PolicyMeta]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Diagnostic]:
        """Violations that block a deployment."""
        return [d for d in self.diagnostics if d.enforcement_level in ("mandatory", "remediate")]

    @property
    def advisory(self) -> list[Diagnostic]:
        """Warnings (including policies that could not run during preview)."""
        return [d for d in self.diagnostics if d.enforcement_level == "advisory"]


class InProcessTransport:
    """The policy SDK's servicer in this process, loaded from the pack folder's ``pack.py``
    (``pack_args()`` returns the PolicyPack arguments that ``__main__.py`` passes)."""

    def __init__(self, pack_dir: str | os.PathLike[str]):
        folder = Path(pack_dir).resolve()
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location(
            f"_policy_pack_{abs(hash(folder))}", folder / "pack.py"
        )
        if spec is None or spec.loader is None:
            raise PackError(f"{folder}: no pack.py to load the pack in process")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.servicer = sdk.policy_servicer(module.pack_args())
        self.logs: list[str] = []

    def call(self, method: str, request: Any) -> Any:
        """Invoke one Analyzer method."""
        return getattr(self.servicer, method)(request, None)

    def close(self) -> None:
        """Nothing to release."""


class GrpcTransport:
    """The pack as a plugin process, exactly as the engine launches and drives it."""

    def __init__(
        self,
        pack_dir: str | os.PathLike[str],
        *,
        project: str,
        stack: str,
        dry_run: bool,
        config: Mapping[str, str] | None = None,
        organization: str = "organization",
        python: str | None = None,
        start_timeout: float = 60.0,
    ):
        env = {
            "PULUMI_CONFIG": json.dumps(dict(config or {})),
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_ORGANIZATION": organization,
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
        }
        try:
            self.plugin = PluginProcess(
                [python or sys.executable, "-u", "-m", "pulumi.policy", "{engine}", "."],
                cwd=Path(pack_dir).resolve(),
                env=env,
                start_timeout=start_timeout,
            )
        except PluginError as exc:
            raise PackError(str(exc).replace("the plugin", "the policy pack")) from None
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.plugin.channel)
        self.logs = self.plugin.logs

    def call(self, method: str, request: Any) -> Any:
        """Invoke one Analyzer method over gRPC."""
        return getattr(self.stub, method)(request, timeout=300)

    def close(self) -> str:
        """Stop the plugin (as the engine does, by killing it) and return its stderr."""
        return self.plugin.close()


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    json_format.ParseDict(dict(value), out)
    return out


def _level(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if value not in LEVELS:
        raise PackError(
            f"{where}: unknown enforcement level {value!r} (one of {', '.join(LEVELS)})"
        )
    return LEVELS[value]


def _entries(source: Mapping[str, Any], where: str) -> dict[str, tuple[int | None, dict[str, Any]]]:
    """A config file's (or initial config's) entries as (level, properties) per key."""
    out = {}
    for key, value in source.items():
        if isinstance(value, str):
            out[key] = (_level(value, f"{where} {key}"), {})
        elif isinstance(value, Mapping):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            out[key] = (_level(value.get("enforcementLevel"), f"{where} {key}"), props)
        else:
            raise PackError(f"{where} {key}: expected an enforcement level or an object")
    return out


class PackSession:
    """One pack, configured once, analyzing recorded program runs."""

    def __init__(self, transport: InProcessTransport | GrpcTransport):
        self.transport = transport
        info = transport.call("GetAnalyzerInfo", empty_pb2.Empty())
        self.name, self.version = info.name, info.version
        self.policies = [
            PolicyMeta(
                name=p.name,
                description=p.description,
                enforcement_level=LEVEL_NAMES[p.enforcementLevel],
                severity=SEVERITIES.get(p.severity, ""),
                remediation_steps=p.remediation_steps,
                config_schema=json_format.MessageToDict(p.configSchema),
                kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
            )
            for p in info.policies
        ]
        self.initial_config = {
            k: (
                v.enforcementLevel if v.enforcementLevel else None,
                json_format.MessageToDict(v.properties),
            )
            for k, v in info.initialConfig.items()
        }
        self.config: dict[str, tuple[str, dict[str, Any]]] = {}

    def reconcile(
        self, user_config: Mapping[str, Any] | None = None
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """Each policy's (enforcement level, properties), as the engine computes them."""
        user = _entries(user_config or {}, "policy pack config")
        result = {}
        for policy in self.policies:
            level = LEVELS[policy.enforcement_level]
            schema = policy.config_schema or {}
            props = {
                k: v["default"]
                for k, v in (schema.get("properties") or {}).items()
                if isinstance(v, Mapping) and "default" in v
            }
            for source in (self.initial_config, user):
                for key in ("all", policy.name):
                    if key in source:
                        entry_level, entry_props = source[key]
                        level = entry_level if entry_level is not None else level
                        if key != "all":
                            props.update(entry_props)
            if schema.get("properties"):
                document = {"type": "object", **schema}
                for error in jsonschema.Draft7Validator(document).iter_errors(props):
                    at = ".".join(str(p) for p in error.absolute_path) or "(config)"
                    raise PackError(f"policy {policy.name}: config {at}: {error.message}")
            result[policy.name] = (LEVEL_NAMES[level], props)
        return result

    def configure(self, user_config: Mapping[str, Any] | None = None) -> None:
        """Send Configure with a level and properties for every policy."""
        self.config = self.reconcile(user_config)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in self.config.items():
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level], properties=_struct(props))
            )
        self.transport.call("Configure", request)

    def analyze(self, capture: Capture) -> Report:
        """Analyze every resource, then the stack; return what the pack reported."""
        if not self.config:
            self.configure()
        report = Report(self.name, self.version, self.policies)
        providers = {
            f"{r.urn}::{r.id}": r
            for r in capture.resources
            if r.type.startswith("pulumi:providers:")
        }
        for reg in capture.resources:
            request = analyzer_pb2.AnalyzeRequest(
                type=reg.type,
                properties=_struct(reg.inputs),
                urn=reg.urn,
                name=reg.name,
                options=_options(reg),
            )
            provider = providers.get(reg.provider)
            if provider is not None:
                request.provider.CopyFrom(_provider(provider))
            self._collect(report, self.transport.call("Analyze", request), reg.urn)
        stack_request = analyzer_pb2.AnalyzeStackRequest(
            resources=list(_stack_resources(capture, providers))
        )
        self._collect(report, self.transport.call("AnalyzeStack", stack_request), capture.stack_urn)
        return report

    @staticmethod
    def _collect(report: Report, response: Any, default_urn: str) -> None:
        # As the engine does: a diagnostic without a URN belongs to the analyzed resource
        # (Analyze) or to the root stack (AnalyzeStack).
        for d in response.diagnostics:
            report.diagnostics.append(
                Diagnostic(
                    policy=d.policyName,
                    enforcement_level=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                    message=d.message,
                    urn=d.urn or default_urn,
                    severity=SEVERITIES.get(d.severity, ""),
                    description=d.description,
                )
            )
        report.not_applicable.extend((n.policy_name, n.reason) for n in response.not_applicable)

    def close(self) -> None:
        """Release the transport."""
        self.transport.close()


def _options(reg: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=reg.protect,
        ignoreChanges=reg.ignore_changes,
        deleteBeforeReplace=bool(reg.delete_before_replace),
        deleteBeforeReplaceDefined=reg.delete_before_replace is not None,
        additionalSecretOutputs=reg.additional_secret_outputs,
        parent=reg.parent,
    )


def _provider(reg: Registration) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type=reg.type, properties=_struct(reg.inputs), urn=reg.urn, name=reg.name
    )


def _stack_resources(
    capture: Capture, providers: Mapping[str, Registration]
) -> Iterable[analyzer_pb2.AnalyzerResource]:
    # AnalyzeStack sees each resource's final outputs, as in the engine.
    for reg in capture.resources:
        resource = analyzer_pb2.AnalyzerResource(
            type=reg.type,
            properties=_struct(reg.outputs),
            urn=reg.urn,
            name=reg.name,
            options=_options(reg),
            parent=reg.parent,
            dependencies=reg.dependencies,
        )
        for key, urns in reg.property_dependencies.items():
            resource.propertyDependencies[key].CopyFrom(
                analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
            )
        provider = providers.get(reg.provider)
        if provider is not None:
            resource.provider.CopyFrom(_provider(provider))
        yield resource


@contextlib.contextmanager
def open_pack(
    pack_dir: str | os.PathLike[str],
    *,
    protocol: str = "inprocess",
    project: str = "project",
    stack: str = "stack",
    dry_run: bool = True,
    config: Mapping[str, str] | None = None,
):
    """A PackSession over the chosen transport, closed on exit."""
    if protocol == "grpc":
        transport: InProcessTransport | GrpcTransport = GrpcTransport(
            pack_dir, project=project, stack=stack, dry_run=dry_run, config=config
        )
    elif protocol == "inprocess":
        transport = InProcessTransport(pack_dir)
    else:
        raise PackError(f"unknown protocol {protocol!r} (inprocess or grpc)")
    session = PackSession(transport)
    try:
        yield session
    finally:
        session.close()
