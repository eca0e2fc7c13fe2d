"""Plan output: a preview-like tree and the policy verdict, as text, JSON or SARIF 2.1.0."""

import json
import os
from collections.abc import Iterator
from typing import IO, Any

from offline_engine import analyzer, runtime
from sitevpn.plan import Plan

SECRET = "[secret]"
UNKNOWN = "[unknown]"
HIDDEN_INPUTS = {"name", "description"}
WIDTH = 110


def redact(value: Any) -> Any:
    """Wire value -> displayable value: secrets hidden, unknowns marked, whole floats as ints."""
    if isinstance(value, dict):
        if value.get(runtime.SIG_KEY) == runtime.SECRET_SIG:
            return SECRET
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if value == runtime.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Style:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def _tree(capture: runtime.Capture) -> Iterator[tuple[str, runtime.Registration]]:
    children: dict[str, list[runtime.Registration]] = {}
    for reg in capture.resources:
        children.setdefault(reg.parent or capture.stack_urn, []).append(reg)

    def walk(urn: str, prefix: str) -> Iterator[tuple[str, runtime.Registration]]:
        kids = children.get(urn, [])
        for i, reg in enumerate(kids):
            last = i == len(kids) - 1
            yield prefix + ("└─ " if last else "├─ "), reg
            yield from walk(reg.urn, prefix + ("   " if last else "│  "))

    yield from walk(capture.stack_urn, "")


def _inputs_lines(reg: runtime.Registration, indent: str) -> list[str]:
    shown = [
        f"{k}={_compact(redact(v))}"
        for k, v in sorted(reg.inputs.items())
        if k not in HIDDEN_INPUTS
    ]
    lines, line = [], ""
    for item in shown:
        if line and len(indent) + len(line) + len(item) + 2 > WIDTH:
            lines.append(line)
            line = ""
        line = f"{line}  {item}" if line else item
    if line:
        lines.append(line)
    return [indent + text for text in lines]


def _detail(d: analyzer.Diagnostic) -> str:
    lines = d.message.split("\n", 1)
    return lines[1] if len(lines) > 1 else lines[0]


def resource_name(urn: str) -> str:
    """The logical name at the end of a URN."""
    return urn.rsplit("::", 1)[-1] if urn else ""


def render_text(plan: Plan, stream: IO[str], colour: bool | None = None) -> None:
    """A readable plan, the violations by enforcement level, and a one-line summary."""
    style = _Style(use_colour(stream) if colour is None else colour)
    write = stream.write
    capture = plan.capture
    stack_name = resource_name(capture.stack_urn)
    write(style(f"Previewing {plan.project.name} (stack {plan.stack.stack}) offline", "1") + "\n")
    write("No cloud is contacted: ids and provider lookups stay unknown, as in a first preview.\n")
    if plan.stack.unknown_secrets:
        keys = ", ".join(sorted(plan.stack.unknown_secrets))
        write(f"Secrets not given (unknown, as a preview that cannot decrypt them): {keys}\n")
    write("\n")
    write(f"     {style('+', '32')}  pulumi:pulumi:Stack  {stack_name}\n")
    for branch, reg in _tree(capture):
        write(f"     {style('+', '32')}  {branch}{reg.type}  {style(reg.name, '1')}\n")
        continuation = branch.replace("├─ ", "│  ").replace("└─ ", "   ")
        for line in _inputs_lines(reg, "        " + continuation + "    "):
            write(style(line, "2") + "\n")
    outputs = redact(capture.stack_outputs)
    if outputs:
        write("\nOutputs:\n")
        for key, value in sorted(outputs.items()):
            write(f"    {key}: {_compact(value)}\n")
    report = plan.report
    if report is not None:
        where = "over gRPC" if plan.protocol == "grpc" else "in process"
        count = len(report.policies)
        write(f"\nPolicies: {report.pack}@v{report.version} ({count} policies, {where})\n")
        for level, colour_code, mark in (("mandatory", "31", "✗"), ("advisory", "33", "!")):
            found = report.mandatory if level == "mandatory" else report.advisory
            if not found:
                continue
            write(style(f"  {level} ({len(found)})", colour_code) + "\n")
            for d in found:
                severity = f" [{d.severity}]" if d.severity else ""
                write(
                    f"    {style(mark, colour_code)} {d.policy}{severity}  {resource_name(d.urn)}\n"
                )
                write(f"        {_detail(d)}\n")
        if not report.diagnostics:
            write(style("  no violations", "32") + "\n")
    write("\n" + summary_line(plan, style) + "\n")


def summary_line(plan: Plan, style: Any = None) -> str:
    """'Plan: N to create; policies: M mandatory, A advisory: PASSED/FAILED'."""
    style = style or _Style(False)
    count = len(plan.capture.resources) + 1  # and the stack itself
    text = f"Plan: {count} to create"
    if plan.report is not None:
        text += (
            f"; policies: {len(plan.report.mandatory)} mandatory, "
            f"{len(plan.report.advisory)} advisory"
        )
    verdict = style("FAILED", "1;31") if plan.exit_code else style("PASSED", "1;32")
    return f"{text}: {verdict}"


def _violations(report: analyzer.Report | None) -> list[dict[str, Any]]:
    return [
        {
            "policy": d.policy,
            "enforcementLevel": d.enforcement_level,
            "severity": d.severity,
            "urn": d.urn,
            "resource": resource_name(d.urn),
            "message": _detail(d),
            "description": d.description,
        }
        for d in (report.diagnostics if report else [])
    ]


def render_json(plan: Plan, stream: IO[str]) -> None:
    """The plan for pipelines: resources (secrets redacted), outputs, violations, summary."""
    report = plan.report
    document = {
        "project": plan.project.name,
        "stack": plan.stack.stack,
        "protocol": plan.protocol,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "inputs": redact(r.inputs),
            }
            for r in plan.capture.resources
        ],
        "outputs": redact(plan.capture.stack_outputs),
        "policyPack": None
        if report is None
        else {
            "name": report.pack,
            "version": report.version,
            "policies": [p.name for p in report.policies],
        },
        "violations": _violations(report),
        "summary": {
            "resources": len(plan.capture.resources) + 1,
            "mandatory": len(report.mandatory) if report else 0,
            "advisory": len(report.advisory) if report else 0,
            "passed": plan.exit_code == 0,
        },
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")


SARIF_LEVELS = {
    "mandatory": "error",
    "remediate": "error",
    "advisory": "warning",
    "disabled": "none",
}


def render_sarif(plan: Plan, stream: IO[str], tool_version: str) -> None:
    """SARIF 2.1.0: one result per violation, rule metadata from the policy descriptions."""
    report = plan.report
    policies = report.policies if report else []
    index = {p.name: i for i, p in enumerate(policies)}
    stack_file = plan.project.stack_config_dir / f"Pulumi.{plan.stack.stack}.yaml"
    try:
        artifact = str(stack_file.relative_to(plan.project.directory))
    except ValueError:
        artifact = str(stack_file)
    rules = [
        {
            "id": p.name,
            "name": "".join(w.capitalize() for w in p.name.split("-")),
            "shortDescription": {"text": p.description},
            "fullDescription": {"text": p.description},
            "help": {"text": p.remediation_steps or p.description},
            "defaultConfiguration": {"level": SARIF_LEVELS.get(p.enforcement_level, "warning")},
            "properties": {
                "severity": p.severity,
                "enforcementLevel": p.enforcement_level,
                "policyType": p.kind,
            },
        }
        for p in policies
    ]
    results = []
    for d in report.diagnostics if report else []:
        result = {
            "ruleId": d.policy,
            "level": SARIF_LEVELS.get(d.enforcement_level, "warning"),
            "message": {"text": _detail(d)},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": artifact}},
                    "logicalLocations": [
                        {
                            "name": resource_name(d.urn),
                            "fullyQualifiedName": d.urn,
                            "kind": "resource",
                        }
                    ],
                }
            ],
            "properties": {"severity": d.severity, "enforcementLevel": d.enforcement_level},
        }
        if d.policy in index:
            result["ruleIndex"] = index[d.policy]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "site-vpn",
                        "version": tool_version,
                        "informationUri": "https://github.com/site-vpn/site-vpn",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"site-vpn-plan/{plan.stack.stack}"},
                "results": results,
            }
        ],
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
