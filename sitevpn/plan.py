"""The offline plan: a stack's program run in preview under the SDK, judged by a policy pack."""

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline_engine import analyzer, runtime, stackconfig


class PlanError(Exception):
    """The plan could not be made: bad stack file, unknown stack, invalid config (exit code 2)."""


@dataclass
class Plan:
    """A previewed stack and what the policy pack said about it."""

    project: stackconfig.Project
    stack: stackconfig.StackConfig
    capture: runtime.Capture
    report: analyzer.Report | None
    protocol: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 clean (advisories allowed), 1 when a mandatory policy is violated."""
        return 1 if self.report and self.report.mandatory else 0


def make_plan(
    project_dir: str | os.PathLike[str],
    stack: str,
    *,
    pack_dir: str | os.PathLike[str] | None = None,
    pack_config: Mapping[str, Any] | None = None,
    protocol: str = "inprocess",
    secrets: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Plan:
    """Preview ``stack`` of the project offline and evaluate the pack on it."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        project = stackconfig.load_project(project_dir)
        config = stackconfig.load_stack(project, stack, secrets=secrets, environ=environ)
    except stackconfig.StackConfigError as exc:
        raise PlanError(str(exc)) from None
    capture = runtime.run_project(
        project.main,
        project=project.name,
        stack=stack,
        config=config.values,
        secret_keys=config.secret_keys,
        preview=True,
    )
    timings["program"] = time.perf_counter() - started
    if capture.error is not None:
        raise PlanError(capture.error)
    report = None
    if pack_dir is not None:
        started = time.perf_counter()
        try:
            with analyzer.open_pack(
                pack_dir,
                protocol=protocol,
                project=project.name,
                stack=stack,
                dry_run=True,
                config={k: v for k, v in config.values.items() if k not in config.secret_keys},
            ) as pack:
                pack.configure(pack_config)
                report = pack.analyze(capture)
        except analyzer.PackError as exc:
            raise PlanError(str(exc)) from None
        timings["policies"] = time.perf_counter() - started
    return Plan(project, config, capture, report, protocol, timings)


def default_pack(project_dir: str | os.PathLike[str]) -> Path | None:
    """The project's own pack folder (``policies/``), when it has one."""
    folder = Path(project_dir) / "policies"
    return folder if (folder / "PulumiPolicy.yaml").is_file() else None
