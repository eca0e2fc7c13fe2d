"""Plugins as the engine runs them: a process that prints its gRPC port on stdout, an engine
log service for it to talk to, and (for component providers) a resource monitor that records
what ``Construct`` registers. Generic: nothing here knows about VPNs."""

import contextlib
import json
import os
import selectors
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from offline_engine.runtime import Backend, Capture, EchoBackend, RecordingMonitor


class PluginError(Exception):
    """The plugin could not be started (one clear line)."""


class _EngineLog(engine_pb2_grpc.EngineServicer):
    """The engine's log sink, so anything a plugin logs is captured."""

    def __init__(self, sink: list[str]):
        self.sink = sink

    def Log(self, request, context):
        self.sink.append(request.message)
        return empty_pb2.Empty()


class PluginProcess:
    """A plugin process started like the engine starts it; ``port`` is what it printed."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ):
        self.logs: list[str] = []
        self._engine = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(_EngineLog(self.logs), self._engine)
        self.engine_address = f"127.0.0.1:{self._engine.add_insecure_port('127.0.0.1:0')}"
        self._engine.start()
        argv = [part.replace("{engine}", self.engine_address) for part in command]
        self.process = subprocess.Popen(
            argv,
            cwd=str(cwd),
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.port = self._read_port(start_timeout)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def _read_port(self, timeout: float) -> int:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            self.close()
            raise PluginError(f"the plugin printed no port within {timeout:.0f} s")
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            stderr = self.close()
            tail = stderr.strip().splitlines()[-1:] or [line]
            raise PluginError(f"the plugin failed to start: {tail[0]}")
        return int(line)

    def close(self) -> str:
        """Stop the plugin (killing it, as the engine does); return its stderr."""
        with contextlib.suppress(Exception):
            self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        _, stderr = self.process.communicate(timeout=30)
        self._engine.stop(0)
        text = stderr.decode(errors="replace") if stderr else ""
        self.logs.append(text)
        return text


class _MonitorService(resource_pb2_grpc.ResourceMonitorServicer):
    """The recording monitor behind the ResourceMonitor gRPC service."""

    def __init__(self, monitor: RecordingMonitor):
        self.monitor = monitor

    def SupportsFeature(self, request, context):
        # Like the SDK's mock monitor: output values stay resolved, everything else is supported.
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")

    def GetDeploymentInfo(self, request, context):
        return self.monitor.GetDeploymentInfo(request)

    def RegisterResource(self, request, context):
        return self.monitor.RegisterResource(request)

    def RegisterResourceOutputs(self, request, context):
        return self.monitor.RegisterResourceOutputs(request)

    def Invoke(self, request, context):
        return self.monitor.Invoke(request)

    def RegisterPackage(self, request, context):
        return self.monitor.RegisterPackage(request)

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()


class ProviderClient:
    """A component provider plugin, driven over its gRPC protocol."""

    def __init__(self, plugin_dir: str | os.PathLike[str], python: str | None = None):
        folder = Path(plugin_dir).resolve()
        # The Python language host runs a plugin as `python <plugin dir> <engine address>`.
        self.plugin = PluginProcess([python or sys.executable, str(folder), "{engine}"], cwd=folder)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.plugin.channel)

    def get_schema(self) -> dict[str, Any]:
        """GetSchema, parsed."""
        return json.loads(self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)

    def construct(
        self,
        type_: str,
        name: str,
        inputs: Mapping[str, Any],
        *,
        project: str = "project",
        stack: str = "stack",
        dry_run: bool = False,
        backend: Backend | None = None,
    ) -> tuple[dict[str, Any], Capture]:
        """Construct a component against a recording resource monitor; (state, capture)."""
        capture = Capture()
        capture.stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
        monitor = RecordingMonitor(
            backend or EchoBackend(), dry_run, capture, project=project, stack=stack
        )
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_MonitorService(monitor), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            arguments = struct_pb2.Struct()
            json_format.ParseDict(dict(inputs), arguments)
            response = self.stub.Construct(
                provider_pb2.ConstructRequest(
                    project=project,
                    stack=stack,
                    dryRun=dry_run,
                    parallel=8,
                    monitorEndpoint=f"127.0.0.1:{port}",
                    type=type_,
                    name=name,
                    parent=capture.stack_urn,
                    inputs=arguments,
                    organization="organization",
                ),
                timeout=120,
            )
        finally:
            server.stop(0)
        state = json_format.MessageToDict(response.state)
        return {"urn": response.urn, **state}, capture

    def close(self) -> str:
        """Stop the plugin; its stderr."""
        return self.plugin.close()
