"""The real Pulumi engine in tests: the CLI, language hosts and providers that `make toolchain`
builds from released source, run as a user would (file backend, passphrase secrets, the
project's own PULUMI_HOME with the providers installed, no plugin downloads), against the
suite's cloud with one user's openrc values.

Every CLI call runs in a session of its own with a deadline: at the deadline, and when the CLI
has exited, whatever still runs in that session is killed, so a hang of the engine fails one
test with the CLI's output instead of stopping the run, and no plugin outlives its call.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TOOLCHAIN = ROOT / ".toolchain"
BIN = TOOLCHAIN / "bin"
CLI = BIN / "pulumi"
PACK = ROOT / "policies"
PASSPHRASE = "site-vpn-tests"


def pinned() -> dict[str, str]:
    """toolchain/versions.env (the one place the toolchain's versions live) as a mapping."""
    text = (ROOT / "toolchain" / "versions.env").read_text()
    return dict(re.findall(r"^([A-Z_]+)=(\S+)$", text, re.M))


class EngineError(AssertionError):
    """A CLI call failed or ran past its deadline; carries what the CLI printed."""


def toolchain_missing() -> str | None:
    """Why the real engine cannot run here, or None."""
    versions = pinned()
    needed = [BIN / "pulumi", BIN / "pulumi-language-python"] + [
        TOOLCHAIN / "home" / "plugins" / f"resource-{name}-v{version}" / f"pulumi-resource-{name}"
        for name, version in (
            ("openstack", versions["OPENSTACK_VERSION"]),
            ("random", versions["RANDOM_VERSION"]),
        )
    ]
    for path in needed:
        if not path.exists():
            return f"{path} is missing: run `make toolchain`"
    return None


@dataclass
class Result:
    """One finished CLI call."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        """Everything the CLI printed."""
        return self.stdout + self.stderr

    def json(self) -> Any:
        """stdout as JSON (``--json`` calls)."""
        return json.loads(self.stdout)


def engine_env(state: Path, openrc: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user of this toolchain: its binaries first on PATH, its
    PULUMI_HOME (providers installed by `make toolchain`), a file backend in ``state``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OS_", "PULUMI_")) and k != "VIRTUAL_ENV"
    }
    env |= {
        "PATH": f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        "PULUMI_HOME": str(TOOLCHAIN / "home"),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    }
    return env | dict(openrc or {})


def end_session(sid: int) -> None:
    """Kill whatever still runs in session ``sid`` (a CLI call's own session): `pulumi package
    add` leaves the language host it started running in a process group of its own."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[3]) == sid:  # the fields after "(comm)": state, ppid, pgrp, session
            try:
                os.kill(int(stat.parent.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 600,
    check: bool = True,
    stdin: str | None = None,
) -> Result:
    """Run ``pulumi <args>`` in a session of its own, ended at ``timeout`` and on return."""
    argv = [str(CLI), *args]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        end_session(proc.pid)
        out, err = proc.communicate()
        raise EngineError(
            f"pulumi {' '.join(args)} ran past {timeout:.0f} s and was killed\n{out}\n{err}"
        ) from None
    finally:
        end_session(proc.pid)  # nothing the CLI started outlives the call
    result = Result(list(args), proc.returncode, out, err, time.monotonic() - started)
    if check and proc.returncode != 0:
        raise EngineError(f"pulumi {' '.join(args)} exited {proc.returncode}\n{out}\n{err}")
    return result


@dataclass
class Resource:
    """One resource of a stack's state (``pulumi stack export``)."""

    urn: str
    type: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]

    @property
    def name(self) -> str:
        """The logical name (the URN's last part)."""
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class State:
    """A stack's checkpoint as the engine wrote it, read like the offline engine's capture."""

    resources: list[Resource]
    stack_outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[Resource]:
        """Resources of one type token."""
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Resource:
        """The resource with this logical name."""
        for r in self.resources:
            if r.name == name and not r.type.startswith("pulumi:providers:"):
                return r
        raise KeyError(name)


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # the engine's marker of a secret value


def reveal(value: Any) -> Any:
    """A checkpoint value with secrets shown (``stack export --show-secrets`` keeps each as
    ``{<sig key>: SECRET_SIG, "plaintext": <JSON>}``)."""
    if isinstance(value, dict):
        if SECRET_SIG in value.values() and "plaintext" in value:
            return reveal(json.loads(value["plaintext"]))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def stack_file(values: Mapping[str, Any], namespace: str = "site-vpn") -> str:
    """A stack file with structured config, as a user writes it."""
    config = {f"{namespace}:{k}": v for k, v in values.items()}
    return yaml.safe_dump({"config": config}, sort_keys=False)


@dataclass
class Stack:
    """One stack of a program folder, driven by the real CLI."""

    workdir: Path
    name: str
    env: dict[str, str]
    runs: list[Result] = field(default_factory=list)

    def cli(self, *args: str, timeout: float = 600, check: bool = True, **kw: Any) -> Result:
        """``pulumi <args> --stack <name>`` in the program folder."""
        result = run_cli(
            [*args, "--stack", self.name],
            cwd=self.workdir,
            env=self.env,
            timeout=timeout,
            check=check,
            **kw,
        )
        self.runs.append(result)
        return result

    def set_secret(self, key: str, value: str) -> None:
        """``pulumi config set --secret`` (the value by stdin: never on a command line)."""
        self.cli("config", "set", "--secret", key, stdin=value)

    def preview(self, *extra: str, **kw: Any) -> Result:
        """``pulumi preview`` (non-interactive)."""
        return self.cli("preview", "--non-interactive", *extra, **kw)

    def up(self, *extra: str, **kw: Any) -> Result:
        """``pulumi up --yes`` (non-interactive)."""
        return self.cli("up", "--yes", "--non-interactive", "--skip-preview", *extra, **kw)

    def refresh(self, *extra: str, **kw: Any) -> Result:
        """``pulumi refresh --yes``."""
        return self.cli("refresh", "--yes", "--non-interactive", "--skip-preview", *extra, **kw)

    def destroy(self, *extra: str, **kw: Any) -> Result:
        """``pulumi destroy --yes``."""
        return self.cli("destroy", "--yes", "--non-interactive", "--skip-preview", *extra, **kw)

    def export(self, show_secrets: bool = False) -> dict[str, Any]:
        """``pulumi stack export`` as JSON."""
        args = ["stack", "export"] + (["--show-secrets"] if show_secrets else [])
        return self.cli(*args).json()

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        """``pulumi stack output --json``."""
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        return self.cli(*args).json()

    def state(self) -> State:
        """The checkpoint's resources and outputs, secrets shown (for assertions)."""
        deployment = reveal(self.export(show_secrets=True)["deployment"])
        resources = []
        stack_outputs: dict[str, Any] = {}
        for r in deployment.get("resources") or []:
            if r["type"] == "pulumi:pulumi:Stack":
                stack_outputs = r.get("outputs", {})
                continue
            resources.append(
                Resource(r["urn"], r["type"], r.get("inputs", {}), r.get("outputs", {}))
            )
        return State(resources, stack_outputs)


def offline_plan(stack: Stack) -> dict[str, Any]:
    """`site-vpn plan --format json` of the same stack file: what the engine is compared with
    (no cloud, no CLI, no credentials in its environment)."""
    done = subprocess.run(
        [
            ROOT / ".venv" / "bin" / "site-vpn",
            "plan",
            stack.name,
            "--project",
            stack.workdir,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env={"PATH": "/usr/bin:/bin"},
    )
    if done.returncode not in (0, 1):  # 1: a mandatory policy failed, the plan is whole
        raise EngineError(f"site-vpn plan {stack.name} exited {done.returncode}\n{done.stderr}")
    return json.loads(done.stdout)


def site_vpn_fleet(
    env: Mapping[str, str], folder: Path, *args: str, timeout: float = 3600
) -> subprocess.CompletedProcess:
    """``site-vpn fleet <args> --project <folder>`` as a user runs it: the real CLI on PATH,
    their backend and openrc in ``env``."""
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "site-vpn"), "fleet", *args, "--project", str(folder)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def program_folder(dest: Path, main: Path = ROOT) -> Path:
    """A copy of a Pulumi program's folder (``Pulumi.yaml`` and ``__main__.py``) whose
    virtualenv is this checkout's ``.venv``, so many stacks run without touching the checkout."""
    dest.mkdir(parents=True, exist_ok=True)
    project = yaml.safe_load((main / "Pulumi.yaml").read_text())
    options = project.setdefault("runtime", {}).setdefault("options", {})
    options["virtualenv"] = str(ROOT / ".venv")
    (dest / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    shutil.copy(main / "__main__.py", dest / "__main__.py")
    (dest / project.get("stackConfigDir", ".")).mkdir(exist_ok=True)
    return dest


@dataclass
class Engine:
    """A user's workspace: one file backend, one PULUMI_HOME, one cloud user's openrc."""

    root: Path
    openrc: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.root / "state").mkdir(parents=True, exist_ok=True)
        self.env = engine_env(self.root / "state", self.openrc)

    def stack(
        self,
        name: str,
        values: Mapping[str, Any] | None = None,
        *,
        psk: str | None = None,
        workdir: Path | None = None,
    ) -> Stack:
        """``pulumi stack init`` of a fresh program folder (this project by default) with the
        given site-vpn config and, when given, the PSK as a secret."""
        folder = workdir or program_folder(self.root / "programs" / name)
        if values is not None:
            project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
            config_dir = folder / project.get("stackConfigDir", ".")
            (config_dir / f"Pulumi.{name}.yaml").write_text(stack_file(values))
        stack = Stack(folder, name, self.env)
        run_cli(["stack", "init", name, "--non-interactive"], cwd=folder, env=self.env)
        if psk is not None:
            stack.set_secret("psk", psk)
        return stack
