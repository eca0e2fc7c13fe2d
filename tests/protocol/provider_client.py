"""A component provider plugin driven over its gRPC protocol, as the engine drives it (test-only:
the engine side of Construct, with a recording resource monitor behind it)."""

import json
import os
import sys
from collections.abc import Mapping
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc, resource_pb2, resource_pb2_grpc

from offline_engine.plugin import PluginProcess
from offline_engine.runtime import Backend, Capture, EchoBackend, RecordingMonitor


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

    def RegisterResourceHook(self, request, context):
        # A component's day-2 hooks (registered in `pulumi up`); nothing here calls them back.
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
