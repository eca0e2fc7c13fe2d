"""The recording runtime itself."""

import logging

import pulumi

from offline_engine import analyzer, runtime


def _program():
    pulumi.log.info("hello from the program")


def test_runs_capture_their_own_logs_and_leave_no_loggers_behind():
    first = runtime.run(_program, project="p", stack="s")
    before = len(logging.root.manager.loggerDict)
    second = runtime.run(_program, project="p", stack="s")
    assert len(logging.root.manager.loggerDict) == before
    assert ("info", "hello from the program") in first.logs
    assert second.logs.count(("info", "hello from the program")) == 1


class _Component(pulumi.ComponentResource):
    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_, name, {}, opts)
        self.register_outputs({})


def _nested_program():
    outer = _Component("pkg:index:Outer", "outer")
    inner = _Component("pkg:index:Inner", "inner", pulumi.ResourceOptions(parent=outer))
    _Component("pkg:index:Leaf", "leaf", pulumi.ResourceOptions(parent=inner))


def test_urns_carry_the_whole_parent_type_chain_as_the_engine_builds_them():
    # The engine's urn.New: parent.QualifiedType() + "$" + type, nothing for the stack's children;
    # `--target`, `--replace` and aliases need these exact strings.
    capture = runtime.run(_nested_program, project="p", stack="s")
    urns = {r.name: r.urn for r in capture.resources}
    assert capture.stack_urn == "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
    assert urns["outer"] == "urn:pulumi:s::p::pkg:index:Outer::outer"
    assert urns["inner"] == "urn:pulumi:s::p::pkg:index:Outer$pkg:index:Inner::inner"
    assert urns["leaf"] == "urn:pulumi:s::p::pkg:index:Outer$pkg:index:Inner$pkg:index:Leaf::leaf"


def _twice_program():
    _Component("pkg:index:Thing", "same")
    _Component("pkg:index:Thing", "same")


def test_a_urn_registered_twice_is_refused_as_the_engine_refuses_it():
    capture = runtime.run(_twice_program, project="p", stack="s")
    assert capture.error is not None
    assert "Duplicate resource URN 'urn:pulumi:s::p::pkg:index:Thing::same'" in capture.error
    assert [r.name for r in capture.resources] == ["same"]


def _replace_options_program():
    _Component("pkg:index:Unset", "unset")
    _Component("pkg:index:Off", "off", pulumi.ResourceOptions(delete_before_replace=False))
    _Component("pkg:index:On", "on", pulumi.ResourceOptions(delete_before_replace=True))


def test_delete_before_replace_set_to_false_is_told_apart_from_unset_as_the_engine_does():
    # The engine keeps the option as a *bool and tells the pack whether it was defined.
    capture = runtime.run(_replace_options_program, project="p", stack="s")
    options = {r.name: analyzer._options(r) for r in capture.resources}
    seen = {n: (o.deleteBeforeReplace, o.deleteBeforeReplaceDefined) for n, o in options.items()}
    assert seen == {"unset": (False, False), "off": (False, True), "on": (True, True)}
