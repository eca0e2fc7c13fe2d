"""The neutron tier: the program deployed into the suite's cloud (tests/cloud) as a project
member, by the real Pulumi engine and pulumi-openstack."""

import pytest

FIGURES: dict[str, float] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/neutron/" in str(item.fspath):
            item.add_marker(pytest.mark.neutron)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        figures = ", ".join(f"{k} {v:.1f}" for k, v in FIGURES.items())
        terminalreporter.write_line(f"neutron: {figures}")
