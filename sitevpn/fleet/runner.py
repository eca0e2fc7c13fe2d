"""Preview, deploy or destroy a fleet through the Automation API: the gateway stack and its site
stacks, each a real `pulumi` run of this project, several site stacks at once.

Order: ``up`` deploys the gateway stack first, then the site stacks (they read its deployment);
``destroy`` takes the site stacks down first, then the gateway (Neutron refuses to delete a VPN
service that still has connections); ``preview`` runs the gateway, then the sites. A failed
stack never stops the others of its wave; only what depends on it is left out, and said so.
"""

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from offline_engine import stackconfig
from sitevpn.fleet import checks
from sitevpn.fleet import stacks as fleet_stacks

Action = Literal["preview", "up", "destroy"]


@dataclass
class StackRun:
    """One stack of the fleet: where it is, and how it ended."""

    stack: str
    role: str
    """``gateway`` or ``sites``."""
    state: str = "waiting"
    """waiting, running, done, failed or skipped."""
    steps: int = 0
    """Resource steps the engine completed so far."""
    current: str = ""
    """The resource the engine last started on."""
    started: float | None = None
    seconds: float = 0.0
    changes: dict[str, int] = field(default_factory=dict)
    """The engine's summary: operation -> count (``same`` left out)."""
    reason: str = ""
    """Why it failed or was skipped."""

    @property
    def ok(self) -> bool:
        """It ran and succeeded."""
        return self.state == "done"


class Progress:
    """A live table on a terminal (redrawn in place), otherwise a line per stack whenever its
    state changes; a final table either way."""

    def __init__(self, runs: Sequence[StackRun], out: IO[str], live: bool | None = None):
        self.runs, self.out = list(runs), out
        self.live = out.isatty() if live is None else live
        self._lock = threading.Lock()
        self._drawn = 0

    def update(self, run: StackRun, **changes: object) -> None:
        """Change ``run`` and show it."""
        with self._lock:
            was = run.state
            for key, value in changes.items():
                setattr(run, key, value)
            if self.live:
                self._redraw()
            elif run.state != was:
                self.out.write(f"{run.stack}: {self._status(run)}\n")
                self.out.flush()

    def _status(self, run: StackRun) -> str:
        elapsed = run.seconds or (time.monotonic() - run.started if run.started else 0.0)
        parts = [run.state]
        if run.state != "waiting":
            parts.append(f"{run.steps} steps, {elapsed:.0f} s")
        if run.state == "running" and run.current:
            parts.append(run.current)
        if run.changes:
            parts.append(", ".join(f"{op} {n}" for op, n in sorted(run.changes.items())))
        if run.reason:
            parts.append(run.reason)
        return " | ".join(parts)

    def _redraw(self) -> None:
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F")
        width = max(len(r.stack) for r in self.runs)
        for run in self.runs:
            self.out.write(f"\x1b[2K{run.stack:<{width}}  {self._status(run)[:160]}\n")
        self._drawn = len(self.runs)
        self.out.flush()

    def table(self) -> str:
        """The final table: stack, role, result, changes, time, reason."""
        rows = [("stack", "role", "result", "changes", "time", "")]
        for run in self.runs:
            changes = ", ".join(f"{op} {n}" for op, n in sorted(run.changes.items())) or "-"
            rows.append(
                (run.stack, run.role, run.state, changes, f"{run.seconds:.0f} s", run.reason)
            )
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        return "".join(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True))
            + (f"  {row[5]}" if row[5] else "")
            + "\n"
            for row in rows
        ).replace(" \n", "\n")


NOT_REASONS = ("update failed", "preview failed", "an unhandled error occurred")
"""The CLI's own summaries of a failure, which say nothing of its cause."""


def _reason(error: Exception) -> str:
    """The engine's own error lines of a failed run, each with the indented lines that continue
    it (the program's messages carry no secret, and the CLI masks secrets)."""
    lines = str(error).splitlines()
    found: list[str] = []
    for i, line in enumerate(lines):
        match = re.search(r"(?:^|\s)error: (.*\S)", line)
        if not match or match.group(1).startswith(NOT_REASONS):
            continue
        parts, indent = [match.group(1)], len(line) - len(line.lstrip())
        for more in lines[i + 1 : i + 6]:
            if not more.strip() or len(more) - len(more.lstrip()) <= indent or "error: " in more:
                break
            parts.append(more.strip())
        found.append(" ".join(parts))
    # the CLI repeats the program's error: keep each once, whole (not a cut-off first line)
    found = [f for f in dict.fromkeys(found) if not any(o != f and o.startswith(f) for o in found)]
    if not found:
        found = [line.strip() for line in lines if line.strip()][-1:]
    return "; ".join(line[:400] for line in found[:3]) or type(error).__name__


def _by_stack(
    runs: Sequence[StackRun], problems: dict[str, list[str]]
) -> Iterator[tuple[StackRun, list[str]]]:
    return ((run, problems[run.stack]) for run in runs if run.stack in problems)


def _counts(changes: object) -> dict[str, int]:
    """The engine's change summary (operation -> count; keys strings or ``OpType``s), without
    what stays the same."""
    items = changes.items() if isinstance(changes, dict) else []
    counts = {str(getattr(op, "value", op)): int(n) for op, n in items}
    return {op: n for op, n in counts.items() if op != "same" and n}


class Fleet:
    """One gateway stack and its site stacks in the project folder ``project``."""

    def __init__(self, project: Path, gateway: str, sites: Sequence[str]):
        self.project, self.gateway, self.sites = project, gateway, list(sites)

    @classmethod
    def discover(cls, project: Path, gateway: str, namespace: str) -> "Fleet":
        """The fleet of ``gateway``: every stack file of the project naming it (the gateway
        stack's own file must exist: a run would otherwise create an empty stack of that name)."""
        stackconfig.load_stack(stackconfig.load_project(project), gateway, environ={})
        return cls(project, gateway, fleet_stacks.site_stacks(project, gateway, namespace))

    def run(
        self,
        action: Action,
        *,
        parallel: int = 4,
        policy_packs: Sequence[str] = (),
        out: IO[str] = sys.stdout,
        live: bool | None = None,
    ) -> list[StackRun]:
        """Run ``action`` over the fleet; every stack's result, in the table's order."""
        gateway = StackRun(self.gateway, "gateway")
        sites = [StackRun(name, "sites") for name in self.sites]
        progress = Progress([gateway, *sites], out, live)
        run_one = self._runner(action, list(policy_packs), progress)
        if action != "destroy":  # what two stacks claim at once is deployed by neither
            claimed = checks.claims(self.project, [self.gateway, *self.sites])
            for run, problems in _by_stack([gateway, *sites], checks.collisions(claimed)):
                progress.update(run, state="skipped", reason="not run: " + "; ".join(problems[:3]))

        def one(run: StackRun) -> None:
            if run.state == "waiting":
                run_one(run)

        if action == "destroy":
            self._wave(sites, one, parallel)
            left = [r.stack for r in sites if not r.ok]
            if left:
                progress.update(
                    gateway,
                    state="skipped",
                    reason=f"not destroyed: site stacks still deployed ({', '.join(left)})",
                )
            else:
                one(gateway)
        else:
            one(gateway)
            if action == "up" and not gateway.ok:
                for run in (r for r in sites if r.state == "waiting"):
                    progress.update(
                        run,
                        state="skipped",
                        reason=f"not run: gateway stack '{self.gateway}' failed",
                    )
            else:
                self._wave(sites, one, parallel)
        out.write(progress.table())
        return [gateway, *sites]

    @staticmethod
    def _wave(runs: list[StackRun], one: Callable[[StackRun], None], parallel: int) -> None:
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            list(pool.map(one, runs))

    def _runner(
        self, action: Action, policy_packs: list[str], progress: Progress
    ) -> Callable[[StackRun], None]:
        from pulumi import automation as auto

        def on_event(run: StackRun, event: "auto.EngineEvent") -> None:
            if event.resource_pre_event and event.resource_pre_event.metadata:
                meta = event.resource_pre_event.metadata
                progress.update(run, current=f"{meta.op} {meta.urn.rsplit('::', 1)[-1]}")
            elif event.res_outputs_event:
                progress.update(run, steps=run.steps + 1)
            elif event.summary_event:
                progress.update(run, changes=_counts(event.summary_event.resource_changes))

        def one(run: StackRun) -> None:
            progress.update(run, state="running", started=time.monotonic())
            try:
                pick = auto.create_or_select_stack if action == "up" else auto.select_stack
                stack = pick(run.stack, work_dir=str(self.project))
                listen = {"on_event": lambda e: on_event(run, e), "color": "never"}
                if action == "up":
                    stack.up(policy_packs=policy_packs or None, show_secrets=False, **listen)
                elif action == "preview":
                    result = stack.preview(policy_packs=policy_packs or None, **listen)
                    run.changes = _counts(result.change_summary)
                else:
                    stack.destroy(show_secrets=False, **listen)
            except Exception as error:  # the CLI's failure, reported with the stack's name
                progress.update(
                    run,
                    state="failed",
                    reason=_reason(error),
                    seconds=time.monotonic() - (run.started or time.monotonic()),
                )
                return
            progress.update(run, state="done", seconds=time.monotonic() - run.started)

        return one
