"""Every use of the Pulumi SDKs' private or undocumented internals, in one place.

The offline engine runs programs and policy packs in process, and the program reads its whole
config namespace; the SDKs offer no public API for either. Supported: pulumi 3.259 (the release
`make toolchain` builds the engine from) and pulumi-policy >=1.21,<2 (pyproject.toml);
``tests/unit/test_sdk_internals.py`` pins the shape of each symbol used here for the installed
versions, so an SDK upgrade that moves one fails there and nowhere else.
"""

from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime import config as _config
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import settings as _settings
from pulumi.runtime.proto import resource_pb2_grpc as _resource_grpc
from pulumi.runtime.stack import run_in_stack as _run_in_stack
from pulumi.runtime.sync_await import _sync_await

# Public for unit tests (pulumi.runtime.set_mocks); the recording monitor subclasses it.
MockMonitor = _mocks.MockMonitor
Mocks = _mocks.Mocks


def program_config() -> tuple[dict[str, str], set[str]]:
    """The running program's whole config (``namespace:key`` -> engine string) and which keys
    are secret: ``pulumi.Config`` only answers for keys one already knows."""
    raw = {**_config.get_config_env(), **_config.CONFIG.get()}
    secret = {k for k in raw if _config.is_config_secret(k)}
    secret |= set(_config.get_config_secret_keys_env())
    return raw, secret


def config_env_key(key: str) -> str:
    """The environment variable the SDK reads a config key from (``PULUMI_CONFIG_<KEY>``)."""
    return _config.get_config_env_key(key)


def install(
    config: Mapping[str, str],
    secret_keys: list[str],
    project: str,
    stack: str,
    preview: bool,
    monitor: Any,
    logger: Any,
    mocks: Any,
) -> None:
    """Make ``monitor`` the program's resource monitor, with this config, as the language host
    would; the program then runs under a fresh root stack, as in the engine."""
    _config.set_all_config(dict(config), secret_keys)
    _mocks.set_mocks(mocks, project, stack, preview, logger=logger, monitor=monitor)
    # set_mocks made a throwaway root stack; the program runs under a real one.
    _settings.ROOT.set(None)
    _settings.SETTINGS.outputs.clear()


def engine_runs_hooks() -> bool:
    """Whether the program talks to a real engine's resource monitor (which calls resource
    hooks back); under the offline engine or unit-test mocks it does not."""
    return isinstance(_settings.SETTINGS.monitor, _resource_grpc.ResourceMonitorStub)


def reset_root() -> None:
    """Forget the root stack resource after a run."""
    _settings.ROOT.set(None)


def run_program(program: Callable[[], None]) -> None:
    """Run ``program`` inside a root stack and wait for every output, like the language host."""
    _sync_await(_run_in_stack(program))


def policy_servicer(args: Mapping[str, Any]) -> Any:
    """The policy SDK's own Analyzer servicer for ``PolicyPack`` arguments, in process (the
    PolicyPack constructor would serve gRPC forever)."""
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    args = dict(args)
    return _PolicyAnalyzerServicer(
        name=args.pop("name"),
        version="0.0.1",
        policies=args.pop("policies"),
        enforcement_level=args.pop("enforcement_level"),
        initial_config=args.pop("initial_config", None),
        description=args.pop("description", None),
        display_name=args.pop("display_name", None),
        readme=args.pop("readme", None),
        provider=args.pop("provider", None),
        tags=args.pop("tags", None),
        repository=args.pop("repository", None),
    )
