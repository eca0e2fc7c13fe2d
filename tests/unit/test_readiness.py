"""wait_until_carrying: when a changed connection 1 counts as carrying again."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn.readiness import ACTIVE, RolloutSettings, wait_until_carrying, wait_until_updatable


class Clock:
    """A fake clock for the pure wait loop: ``sleep`` advances it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run(statuses: list[str | None], settle: bool, timeout: int = 20, settle_s: int = 6):
    """Feed ``statuses`` one per poll (the last repeats); (carrying, last status, polls, time)."""
    clock = Clock()
    seen: list[str | None] = []

    def read(connection_id: str) -> str | None:
        assert connection_id == "c1"
        status = statuses[min(len(seen), len(statuses) - 1)]
        seen.append(status)
        return status

    settings = RolloutSettings(timeout_seconds=timeout, settle_seconds=settle_s, poll_seconds=1)
    carrying, last = wait_until_carrying(read, "c1", settings, settle, clock, clock.sleep)
    return carrying, last, len(seen), clock.now


@pytest.mark.parametrize(
    "statuses, settle, expected",
    [
        # a replacement: ACTIVE once the agent reports the new connection up
        (["PENDING_CREATE", "PENDING_CREATE", ACTIVE], False, (True, ACTIVE, 3, 2.0)),
        # an update: ACTIVE from the start, but it must hold for the settle window
        ([ACTIVE], True, (True, ACTIVE, 7, 6.0)),
        # a report of DOWN inside the window starts the window again
        ([ACTIVE, ACTIVE, "DOWN", ACTIVE], True, (True, ACTIVE, 10, 9.0)),
        # never ACTIVE: the timeout, with the last status seen
        (["DOWN"], False, (False, "DOWN", 21, 20.0)),
        # gone (None) is not carrying
        ([None], False, (False, None, 21, 20.0)),
        # flapping never settles
        ([ACTIVE, "DOWN"] * 30, True, (False, ACTIVE, 21, 20.0)),
    ],
)
def test_wait_until_carrying(statuses, settle, expected):
    assert run(statuses, settle) == expected


@given(
    st.lists(st.sampled_from([ACTIVE, "DOWN", "PENDING_CREATE", "ERROR", None]), min_size=1),
    st.booleans(),
)
def test_carrying_means_active_for_the_window(statuses, settle):
    carrying, last, polls, elapsed = run(statuses, settle)
    assert elapsed <= 20
    if carrying:
        assert last == ACTIVE
        # the polls of the window (the last settle_s + 1) all saw ACTIVE
        window = 7 if settle else 1
        tail = [statuses[min(i, len(statuses) - 1)] for i in range(polls - window, polls)]
        assert tail == [ACTIVE] * window
    else:
        assert elapsed == 20


@pytest.mark.parametrize(
    "statuses, expected",
    [
        ([ACTIVE], (True, ACTIVE, 1)),
        (["DOWN"], (True, "DOWN", 1)),  # Neutron takes an update of a DOWN connection
        (["PENDING_CREATE", "PENDING_UPDATE", ACTIVE], (True, ACTIVE, 3)),
        (["PENDING_CREATE"], (False, "PENDING_CREATE", 21)),
        ([None], (False, None, 21)),
    ],
)
def test_wait_until_updatable(statuses, expected):
    clock = Clock()
    seen: list[str | None] = []

    def read(connection_id: str) -> str | None:
        seen.append(statuses[min(len(seen), len(statuses) - 1)])
        return seen[-1]

    settings = RolloutSettings(timeout_seconds=20, settle_seconds=0, poll_seconds=1)
    ok, last = wait_until_updatable(read, "c1", settings, clock, clock.sleep)
    assert (ok, last, len(seen)) == expected
