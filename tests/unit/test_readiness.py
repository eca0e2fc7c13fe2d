"""When a changed connection counts as carrying again, and when a VPN service may be restarted."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitevpn.readiness import (
    ACTIVE,
    Connection,
    RolloutSettings,
    partner_name,
    renegotiated,
    restart_blockers,
    restart_service,
    wait_until_carrying,
    wait_until_safe_to_restart,
    wait_until_updatable,
)


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


class StuckAgent:
    """neutron-vpnaas's agent as the rollout sees it: a connection stays PENDING_CREATE (its
    tunnel up) until a sync, then reports ``after``; ``syncs`` holds when they were asked for."""

    def __init__(self, clock: Clock, after: str = ACTIVE, first: str = "PENDING_CREATE"):
        self.clock, self.after, self.status = clock, after, first
        self.syncs: list[float] = []

    def read(self, connection_id: str) -> str:
        return self.status

    def resync(self, connection_id: str) -> None:
        assert connection_id == "c1"
        self.syncs.append(self.clock.now)
        self.status = self.after


@pytest.mark.parametrize("wait", ["carrying", "updatable"])
def test_a_connection_stuck_pending_gets_a_sync_after_the_resync_window(wait):
    clock = Clock()
    agent = StuckAgent(clock)
    settings = RolloutSettings(120, 0, poll_seconds=2, resync_seconds=30)
    if wait == "carrying":
        result = wait_until_carrying(
            agent.read, "c1", settings, False, clock, clock.sleep, resync=agent.resync
        )
    else:
        result = wait_until_updatable(
            agent.read, "c1", settings, clock, clock.sleep, resync=agent.resync
        )
    assert result == (True, ACTIVE)
    assert agent.syncs == [30.0] and clock.now == 32.0
    # without the sync the wait runs into its timeout, still pending
    clock, agent = Clock(), StuckAgent(Clock())
    assert wait_until_carrying(agent.read, "c1", settings, False, clock, clock.sleep) == (
        False,
        "PENDING_CREATE",
    )


def test_a_sync_is_asked_for_again_only_after_another_window_and_never_for_down():
    clock = Clock()
    agent = StuckAgent(clock, after="PENDING_CREATE")  # a sync that does not help
    settings = RolloutSettings(100, 0, poll_seconds=2, resync_seconds=30)
    assert wait_until_carrying(
        agent.read, "c1", settings, False, clock, clock.sleep, resync=agent.resync
    ) == (False, "PENDING_CREATE")
    assert agent.syncs == [30.0, 60.0, 90.0]
    # DOWN is reported as it is (the agent's reports flow): nothing to sync
    clock = Clock()
    agent = StuckAgent(clock, first="DOWN")
    wait_until_carrying(agent.read, "c1", settings, False, clock, clock.sleep, resync=agent.resync)
    assert agent.syncs == []


@pytest.mark.parametrize(
    "name, expected",
    [
        ("site-vpn-dc1-pair-conn1", "site-vpn-dc1-pair-conn2"),
        ("site-vpn-dc1-pair-conn2", "site-vpn-dc1-pair-conn1"),
        ("site-vpn-conn1x", None),
        ("vpn", None),
    ],
)
def test_partner_name(name, expected):
    assert partner_name(name) == expected


def conn(site: str, n: int, service: str, status: str = ACTIVE) -> Connection:
    return Connection(f"site-vpn-{site}-pair-conn{n}", service, status)


@pytest.mark.parametrize(
    "connections, expected",
    [
        # active-active: every connection on A has its partner ACTIVE on B
        ([conn("x", 1, "A"), conn("x", 2, "B"), conn("y", 1, "A"), conn("y", 2, "B")], []),
        # a partner not carrying (being replaced, or its tunnel down) blocks
        (
            [conn("x", 1, "A"), conn("x", 2, "B", "DOWN")],
            ["site-vpn-x-pair-conn1's partner site-vpn-x-pair-conn2 is DOWN"],
        ),
        # a partner gone (deleted before its replacement is created) blocks
        (
            [conn("x", 1, "A")],
            ["site-vpn-x-pair-conn1's partner site-vpn-x-pair-conn2 does not exist"],
        ),
        # both connections on the restarted service (active/standby, one member): never
        (
            [conn("x", 1, "A"), conn("x", 2, "A")],
            [
                "site-vpn-x-pair-conn1 and its partner site-vpn-x-pair-conn2 are on this one service",
                "site-vpn-x-pair-conn2 and its partner site-vpn-x-pair-conn1 are on this one service",
            ],
        ),
        # a connection site-vpn does not pair: never cut it blindly
        ([Connection("other", "A", ACTIVE)], ["other is not a connection of a site-vpn pair"]),
        # connections on other services do not matter
        ([conn("x", 2, "B", "DOWN"), conn("z", 1, "C", "ERROR")], []),
    ],
)
def test_restart_blockers(connections, expected):
    assert restart_blockers("A", connections) == expected


@given(
    st.lists(
        st.tuples(
            st.sampled_from("xyz"),
            st.sampled_from([1, 2]),
            st.sampled_from("AB"),
            st.sampled_from([ACTIVE, "DOWN", "PENDING_CREATE"]),
        ),
        max_size=8,
    )
)
def test_a_restart_never_leaves_a_pair_dark(rows):
    """Whenever no blocker is reported, every pair with a connection on the restarted service
    has its other connection ACTIVE on another service."""
    connections = [conn(site, n, service, status) for site, n, service, status in rows]
    if restart_blockers("A", connections):
        return
    for c in connections:
        if c.service_id == "A":
            other = partner_name(c.name)
            assert any(
                p.name == other and p.service_id != "A" and p.status == ACTIVE for p in connections
            )


def test_restart_service_waits_for_the_stop_and_always_sets_up_again():
    clock = Clock()
    calls: list[tuple[str, bool]] = []
    reports = iter([ACTIVE, ACTIVE, "DOWN"])
    settings = RolloutSettings(timeout_seconds=20, settle_seconds=0, poll_seconds=1)
    ok, last = restart_service(
        lambda sid, up: calls.append((sid, up)),
        lambda sid: next(reports),
        "A",
        settings,
        clock,
        clock.sleep,
    )
    assert (ok, last, calls, clock.now) == (True, "DOWN", [("A", False), ("A", True)], 2.0)
    # never stopped in time: still set up again, and said so
    calls.clear()
    ok, last = restart_service(
        lambda sid, up: calls.append((sid, up)),
        lambda sid: ACTIVE,
        "A",
        settings,
        clock,
        clock.sleep,
    )
    assert (ok, last, calls) == (False, ACTIVE, [("A", False), ("A", True)])


def test_restart_service_sets_up_again_when_reading_fails():
    calls: list[bool] = []

    def broken(sid: str) -> str:
        raise ConnectionError("neutron unreachable")

    settings = RolloutSettings(timeout_seconds=20, settle_seconds=0, poll_seconds=1)
    with pytest.raises(ConnectionError):
        restart_service(lambda sid, up: calls.append(up), broken, "A", settings)
    assert calls == [False, True]


def test_wait_until_safe_to_restart_waits_for_the_partner():
    clock = Clock()
    views = iter(
        [
            [conn("x", 1, "A"), conn("x", 2, "B", "PENDING_CREATE")],
            [conn("x", 1, "A"), conn("x", 2, "B", "DOWN")],
            [conn("x", 1, "A"), conn("x", 2, "B")],
        ]
    )
    settings = RolloutSettings(timeout_seconds=20, settle_seconds=0, poll_seconds=1)
    assert wait_until_safe_to_restart(lambda: next(views), "A", settings, clock, clock.sleep) == (
        True,
        [],
    )
    assert clock.now == 2.0
    stuck = [conn("x", 1, "A"), conn("x", 2, "B", "DOWN")]
    safe, why = wait_until_safe_to_restart(lambda: stuck, "A", settings, clock, clock.sleep)
    assert (safe, why) == (False, ["site-vpn-x-pair-conn1's partner site-vpn-x-pair-conn2 is DOWN"])


@pytest.mark.parametrize(
    "old, new, expected",
    [
        # what a tunnel negotiates
        ({"psk": "a", "mtu": 1500}, {"psk": "b", "mtu": 1500}, ["psk"]),
        ({"peerAddress": "203.0.113.1"}, {"peerAddress": "203.0.113.2"}, ["peerAddress"]),
        ({"peerEpGroupId": "g1"}, {"peerEpGroupId": "g2"}, ["peerEpGroupId"]),
        # what it does not: DPD, MTU, the name (a rename)
        ({"mtu": 1500, "name": "x", "dpds": [1]}, {"mtu": 1400, "name": "y", "dpds": [2]}, []),
        (None, None, []),
    ],
)
def test_renegotiated(old, new, expected):
    assert renegotiated(old, new) == expected
