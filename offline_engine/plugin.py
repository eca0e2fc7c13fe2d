"""Plugins as the engine runs them: a process that prints its gRPC port on stdout, an engine
log service for it to talk to, and (for component providers) a resource monitor that records
what ``Construct`` registers. Generic: nothing here knows about VPNs."""

import contextlib
import os
import selectors
import subprocess
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import (
    engine_pb2_grpc,
)


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
