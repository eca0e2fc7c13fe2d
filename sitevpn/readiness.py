"""When a changed connection carries again, from the statuses Neutron reports (no Pulumi import)."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sitevpn import defaults
from sitevpn.enums import HaMode
from sitevpn.topology import PAIR_ROLES

ACTIVE = "ACTIVE"

StatusReader = Callable[[str], str | None]
T = TypeVar("T")


@dataclass(frozen=True)
class RolloutSettings:
    """How long connection 2 waits for connection 1, and how long an update must hold."""

    timeout_seconds: int
    """Longest wait for connection 1 to carry after its change."""
    settle_seconds: int
    """After an in-place update, how long connection 1 must stay ACTIVE."""
    poll_seconds: float = 2.0
    resync_seconds: float = defaults.ROLLOUT_RESYNC_SECONDS
    """How long a connection may stay PENDING_* before the agent is asked to sync again."""


def poll(
    read_status: Callable[[str], T],
    connection_id: str,
    settings: RolloutSettings,
    done: Callable[[T, float], bool],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, T]:
    """Read an object's status every poll interval until ``done(status, now)`` or the
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


def resyncing(
    read_status: StatusReader,
    settings: RolloutSettings,
    resync: Callable[[str], None] | None,
    clock: Callable[[], float] = time.monotonic,
) -> StatusReader:
    """``read_status`` that calls ``resync(connection_id)`` each time the connection has been
    PENDING_* for ``settings.resync_seconds``: neutron-vpnaas's agent reports a connection's
    way out of PENDING_* only from a sync that runs once charon lists it, so without another
    sync the status can stay pending with the tunnel up."""
    if resync is None:
        return read_status
    since = [clock()]  # when the current run of PENDING_* reports began, or the last resync

    def read(connection_id: str) -> str | None:
        status = read_status(connection_id)
        if status is None or not status.startswith("PENDING_"):
            since[0] = clock()
        elif clock() - since[0] >= settings.resync_seconds:
            resync(connection_id)
            since[0] = clock()
        return status

    return read


def wait_until_carrying(
    read_status: StatusReader,
    connection_id: str,
    settings: RolloutSettings,
    settle: bool,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    *,
    resync: Callable[[str], None] | None = None,
) -> tuple[bool, str | None]:
    """Poll a connection's status until it is ACTIVE (and, with ``settle``, has stayed ACTIVE
    for the settle window); (carrying, last status seen) when done or timed out. ``resync``: see
    ``resyncing``."""
    active_since: list[float] = []  # when the current run of ACTIVE reports began
    read = resyncing(read_status, settings, resync, clock)

    def carrying(status: str | None, now: float) -> bool:
        if status != ACTIVE:
            active_since.clear()
            return False
        active_since[:] = active_since or [now]
        return not settle or now - active_since[0] >= settings.settle_seconds

    return poll(read, connection_id, settings, carrying, clock, sleep)


def wait_until_updatable(
    read_status: StatusReader,
    connection_id: str,
    settings: RolloutSettings,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    *,
    resync: Callable[[str], None] | None = None,
) -> tuple[bool, str | None]:
    """Poll until Neutron would take an update of the connection (it refuses one in a
    PENDING_* status with a 400 until the agent reports); (updatable, last status seen).
    ``resync``: see ``resyncing``."""

    def updatable(status: str | None, _now: float) -> bool:
        return status is not None and not status.startswith("PENDING_")

    read = resyncing(read_status, settings, resync, clock)
    return poll(read, connection_id, settings, updatable, clock, sleep)


def restart_service(
    set_admin_up: Callable[[str, bool], None],
    read_service: StatusReader,
    service_id: str,
    settings: RolloutSettings,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str | None]:
    """Take a VPN service administratively down until its agent reports it stopped, then up
    again, which it always is afterwards; (stopped in time, last status seen).

    neutron-vpnaas's strongSwan driver stops charon for a service with no connection up and,
    once it is up again, starts charon afresh and initiates every connection: the only way the
    API offers to end SAs that a reload keeps."""
    set_admin_up(service_id, False)
    try:
        return poll(read_service, service_id, settings, lambda s, _: s != ACTIVE, clock, sleep)
    finally:
        set_admin_up(service_id, True)


@dataclass(frozen=True)
class Connection:
    """What the restart check needs of a site connection."""

    name: str
    service_id: str
    status: str


# The Neutron names of a pair's connections end in their keys (the same in every HA mode).
PAIRED = tuple(f"-{role.key}" for role in PAIR_ROLES[HaMode.ACTIVE_ACTIVE])


def partner_name(name: str) -> str | None:
    """The other connection of a site-vpn pair, by its Neutron name (None: not one of ours)."""
    for mine, other in (PAIRED, PAIRED[::-1]):
        if name.endswith(mine):
            return name[: -len(mine)] + other
    return None


def restart_blockers(service_id: str, connections: list[Connection]) -> list[str]:
    """Why restarting a VPN service now could leave a pair with no tunnel: every connection on
    it needs its partner on another service and ACTIVE (empty: safe to restart)."""
    by_name: dict[str, list[Connection]] = {}
    for c in connections:
        by_name.setdefault(c.name, []).append(c)
    blockers = []
    for c in connections:
        if c.service_id != service_id:
            continue
        other = partner_name(c.name)
        partners = by_name.get(other, []) if other else []
        if other is None:
            blockers.append(f"{c.name} is not a connection of a site-vpn pair")
        elif not partners:
            blockers.append(f"{c.name}'s partner {other} does not exist")
        elif any(p.service_id == service_id for p in partners):
            blockers.append(f"{c.name} and its partner {other} are on this one service")
        elif not any(p.status == ACTIVE for p in partners):
            blockers.append(f"{c.name}'s partner {other} is {partners[0].status}")
    return blockers


def wait_until_safe_to_restart(
    list_connections: Callable[[], list[Connection]],
    service_id: str,
    settings: RolloutSettings,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, list[str]]:
    """Poll until no pair on the service would be left without a tunnel by its restart;
    (safe, the last blockers seen)."""

    def blockers(sid: str) -> list[str]:
        return restart_blockers(sid, list_connections())

    return poll(blockers, service_id, settings, lambda b, _: not b, clock, sleep)


# A site connection's inputs that its tunnel negotiates with: after an in-place change of one,
# the tunnel still runs on what it negotiated before (the driver's reload keeps SAs) until it
# is negotiated again.
NEGOTIATED = (
    "psk",
    "peerAddress",
    "peerId",
    "peerCidrs",
    "peerEpGroupId",
    "localId",
    "localEpGroupId",
    "initiator",
)


def renegotiated(old: Mapping[str, object] | None, new: Mapping[str, object] | None) -> list[str]:
    """The negotiated inputs an in-place update changed (names only: values may be secret)."""
    old, new = old or {}, new or {}
    return [key for key in NEGOTIATED if old.get(key) != new.get(key)]
