"""When a changed connection carries again, from the statuses Neutron reports (no Pulumi import)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

ACTIVE = "ACTIVE"

StatusReader = Callable[[str], str | None]


@dataclass(frozen=True)
class RolloutSettings:
    """How long connection 2 waits for connection 1, and how long an update must hold."""

    timeout_seconds: int
    """Longest wait for connection 1 to carry after its change."""
    settle_seconds: int
    """After an in-place update, how long connection 1 must stay ACTIVE."""
    poll_seconds: float = 2.0


def poll(
    read_status: StatusReader,
    connection_id: str,
    settings: RolloutSettings,
    done: Callable[[str | None, float], bool],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str | None]:
    """Read a connection's status every poll interval until ``done(status, now)`` or the
    timeout; (done, last status seen)."""
    deadline = clock() + settings.timeout_seconds
    while True:
        status = read_status(connection_id)
        now = clock()
        if done(status, now):
            return True, status
        if now >= deadline:
            return False, status
        sleep(settings.poll_seconds)


def wait_until_carrying(
    read_status: StatusReader,
    connection_id: str,
    settings: RolloutSettings,
    settle: bool,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str | None]:
    """Poll a connection's status until it is ACTIVE (and, with ``settle``, has stayed ACTIVE
    for the settle window); (carrying, last status seen) when done or timed out."""
    active_since: list[float] = []  # when the current run of ACTIVE reports began

    def carrying(status: str | None, now: float) -> bool:
        if status != ACTIVE:
            active_since.clear()
            return False
        active_since[:] = active_since or [now]
        return not settle or now - active_since[0] >= settings.settle_seconds

    return poll(read_status, connection_id, settings, carrying, clock, sleep)


def wait_until_updatable(
    read_status: StatusReader,
    connection_id: str,
    settings: RolloutSettings,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str | None]:
    """Poll until Neutron would take an update of the connection (it refuses one in a
    PENDING_* status with a 400 until the agent reports); (updatable, last status seen)."""

    def updatable(status: str | None, _now: float) -> bool:
        return status is not None and not status.startswith("PENDING_")

    return poll(read_status, connection_id, settings, updatable, clock, sleep)
