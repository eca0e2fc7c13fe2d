"""The recording runtime itself."""

import logging

import pulumi

from sitevpn.engine import runtime


def _program():
    pulumi.log.info("hello from the program")


def test_runs_capture_their_own_logs_and_leave_no_loggers_behind():
    first = runtime.run(_program, project="p", stack="s")
    before = len(logging.root.manager.loggerDict)
    second = runtime.run(_program, project="p", stack="s")
    assert len(logging.root.manager.loggerDict) == before
    assert ("info", "hello from the program") in first.logs
    assert second.logs.count(("info", "hello from the program")) == 1
