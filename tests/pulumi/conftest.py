"""The pulumi tier: the real CLI, language hosts and providers (`make toolchain`) against the
suite's cloud, as a user runs them."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/pulumi/" in str(item.fspath):
            item.add_marker(pytest.mark.pulumi)
