"""The rule frame: a rule module is its check; the frame builds the policy around it.

``@resource_rule(...)`` and ``@stack_rule(...)`` take the policy's metadata and turn a check
function into the ``POLICY`` object of its module. The policy's name comes from the module's
name (``vpn_ike_policy_enforce_ikev2`` -> ``vpn-ike-policy-enforce-ikev2``); the check receives a
:class:`ResourceCheck` or :class:`StackCheck`, which applies provider defaults, reads the
policy config with the schema's defaults, writes the one message format and, for stack rules,
defers unknown values (one scope per run: what is known is checked, then the policy reports
that it could not finish).
"""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import support

__all__ = [
    "EnforcementLevel",
    "ResourceCheck",
    "Severity",
    "StackCheck",
    "resource_rule",
    "stack_rule",
]


class _Check:
    """What every check gets: the policy config and one scope for unknown values."""

    def __init__(self, args: Any, report: Callable[..., None], schema: Any) -> None:
        self.args = args
        self._report = report
        self._schema = schema
        self._unknowns = support.Unknowns()

    def config(self, key: str) -> Any:
        """The policy config value, or the schema's default."""
        return support.config(self.args, self._schema, key)

    def guard(self) -> AbstractContextManager[None]:
        """Skip the rest of this block when it touches an unknown value (a preview); the rest
        of the check goes on, and the policy then reports that it could not finish."""
        return self._unknowns.guard()

    def finish(self) -> None:
        """Raise the first unknown met, so the engine marks the policy as not run."""
        self._unknowns.finish()


class ResourceCheck(_Check):
    """One resource under a resource rule."""

    def __init__(
        self,
        args: ResourceValidationArgs,
        report: Callable[[str], None],
        schema: PolicyConfigSchema | None,
    ) -> None:
        super().__init__(args, report, schema)
        self.name: str = args.name
        self.type: str = args.resource_type
        self.props = args.props
        self._defaulted: set[str] = set()

    def prop(self, key: str) -> Any:
        """The property, or what the provider applies when the program left it out (reports
        on it then say so)."""
        value, defaulted = support.prop(self.type, self.props, key)
        if defaulted:
            self._defaulted.add(key)
        return value

    def report(self, field: str, value: Any, reason: str, *, show: bool = True) -> None:
        """A violation on ``field`` (``show=False`` for secrets: the value is never written)."""
        root = re.split(r"[.\[]", field, maxsplit=1)[0]
        self._report(
            support.violation(
                self.name,
                self.type,
                field,
                value,
                reason,
                defaulted=root in self._defaulted,
                show=show,
            )
        )


class StackCheck(_Check):
    """The whole stack under a stack rule."""

    def __init__(
        self,
        args: StackValidationArgs,
        report: Callable[..., None],
        schema: PolicyConfigSchema | None,
    ) -> None:
        super().__init__(args, report, schema)
        self._index: support.StackIndex | None = None

    def resources(self, type_: str) -> Iterator[PolicyResource]:
        """The stack's resources of one type."""
        return support.each_resource(self.args, type_)

    def children(self, parent: PolicyResource, type_: str) -> list[PolicyResource]:
        """Direct children of one type, in registration order."""
        if self._index is None:
            self._index = support.StackIndex(self.args)
        return self._index.children_of(parent, type_)

    def report(
        self, resource: PolicyResource, field: str, value: Any, reason: str, *, show: bool = True
    ) -> None:
        """A violation on ``resource.field``, attributed to that resource."""
        self._report(
            support.violation(
                resource.name, resource.resource_type, field, value, reason, show=show
            ),
            resource.urn,
        )

    def report_text(self, message: str, urn: str) -> None:
        """A violation whose message is already written."""
        self._report(message, urn)


def _rule(
    policy_class: type,
    check_class: type,
    types: set[str] | None,
    description: str,
    severity: Severity,
    remediation: str,
    config: dict[str, dict[str, Any]] | None,
    level: EnforcementLevel,
) -> Callable:
    schema = PolicyConfigSchema(properties=config) if config else None

    def build(check: Callable) -> Any:
        def validate(args: Any, report: Callable[..., None]) -> None:
            if types is not None and args.resource_type not in types:
                return
            scope = check_class(args, report, schema)
            with scope.guard():
                check(scope)
            scope.finish()

        validate.__doc__ = check.__doc__
        return policy_class(
            name=check.__module__.rsplit(".", 1)[-1].replace("_", "-"),
            description=description,
            enforcement_level=level,
            severity=severity,
            remediation_steps=remediation,
            config_schema=schema,
            validate=validate,
        )

    return build


def resource_rule(
    *,
    types: set[str],
    description: str,
    severity: Severity,
    remediation: str,
    config: dict[str, dict[str, Any]] | None = None,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> Callable[[Callable[[ResourceCheck], None]], ResourceValidationPolicy]:
    """Build a resource policy from a check that runs on resources of ``types``."""
    return _rule(
        ResourceValidationPolicy,
        ResourceCheck,
        types,
        description,
        severity,
        remediation,
        config,
        level,
    )


def stack_rule(
    *,
    description: str,
    severity: Severity,
    remediation: str,
    config: dict[str, dict[str, Any]] | None = None,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> Callable[[Callable[[StackCheck], None]], StackValidationPolicy]:
    """Build a stack policy from a check over the whole stack."""
    return _rule(
        StackValidationPolicy, StackCheck, None, description, severity, remediation, config, level
    )
