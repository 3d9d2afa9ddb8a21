"""The drills' pollers, on a fake clock and a scripted Lease history: no cluster, no waiting.

The clock moves only when the code sleeps or reads a Lease (a read takes
``READ`` seconds), so the figures the pollers report can be checked exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hatool.verify.api import Lease
from hatool.verify.poll import (
    POLL,
    Clock,
    holder,
    renewing,
    wait_for,
    wait_leases_move,
    wait_new_holder,
)
from hatool.verify.target import Node

READ = 0.05
T0 = datetime(2024, 1, 1, tzinfo=UTC)
M1, M2, M3 = Node("m1", "10.0.0.1"), Node("m2", "10.0.0.2"), Node("m3", "10.0.0.3")
HOSTNAMES = {"host-1": M1, "host-2": M2, "host-3": M3}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(self.monotonic, self.sleep)


def lease(name: str, holder_host: str | None, renewed: float = 0.0, transitions: int = 0) -> Lease:
    identity = f"{holder_host}_0c5e8d1a" if holder_host else None
    return Lease(name, identity, 15, transitions, T0 + timedelta(seconds=renewed))


class History:
    """Lease reads along the fake clock: each Lease is the last one written at or before now."""

    def __init__(self, clock: FakeClock, writes: dict[str, list[tuple[float, Lease | None]]]):
        self.clock = clock
        self.writes = writes
        self.reads = 0

    def read(self, name: str) -> Lease | None:
        self.reads += 1
        seen = None
        for at, written in self.writes.get(name, []):
            if at <= self.clock.now:
                seen = written
        self.clock.now += READ
        return seen


def renewed_every(
    name: str, host: str, period: float, until: float, start: float = 0.0
) -> list[tuple[float, Lease | None]]:
    """A live leader: the same holder, renewTime moving every ``period`` seconds."""
    count = int((until - start) / period) + 1
    return [(start + i * period, lease(name, host, start + i * period)) for i in range(count)]


# -- holder -------------------------------------------------------------------------------


def test_the_holder_is_the_master_named_in_the_identity() -> None:
    assert holder(HOSTNAMES, lease("kcm", "host-2")) == M2


def test_no_lease_no_holder_and_a_stranger_is_no_master() -> None:
    assert holder(HOSTNAMES, None) is None
    assert holder(HOSTNAMES, lease("kcm", None)) is None
    assert holder(HOSTNAMES, lease("kcm", "laptop")) is None


# -- wait_for -----------------------------------------------------------------------------


def test_wait_for_returns_the_seconds_until_the_condition_held() -> None:
    fake = FakeClock()
    seconds = wait_for(lambda: fake.now >= 1.0, 10, clock=fake.clock())
    assert seconds == pytest.approx(1.0)
    assert fake.sleeps == [POLL] * 5


def test_wait_for_gives_up_after_the_timeout() -> None:
    fake = FakeClock()
    assert wait_for(lambda: False, 3, clock=fake.clock()) is None
    assert 3 <= fake.now < 3 + POLL + 1e-9


# -- renewing -----------------------------------------------------------------------------


def test_a_renewing_holder_is_live() -> None:
    fake = FakeClock()
    leases = History(fake, {"kcm": renewed_every("kcm", "host-1", 2.0, until=30)})
    live = renewing(leases, "kcm", clock=fake.clock())
    assert live is not None
    assert live.holder_hostname == "host-1"
    assert live.renew_time == T0 + timedelta(seconds=2)
    assert 2.0 <= fake.now < 2.0 + POLL + READ + 1e-9


def test_a_lease_that_is_never_renewed_is_stale() -> None:
    fake = FakeClock()
    leases = History(fake, {"kcm": [(0.0, lease("kcm", "host-1"))]})
    assert renewing(leases, "kcm", 10, clock=fake.clock()) is None
    assert fake.now >= 10


def test_a_new_holder_counts_only_once_it_renews() -> None:
    fake = FakeClock()
    writes = [(0.0, lease("kcm", "host-1"))]  # stale: host-1's process is gone
    writes += renewed_every("kcm", "host-2", 2.0, until=30, start=5.0)
    leases = History(fake, {"kcm": writes})
    live = renewing(leases, "kcm", clock=fake.clock())
    assert live is not None
    assert live.holder_hostname == "host-2"
    assert live.renew_time == T0 + timedelta(seconds=7)


def test_renewing_waits_through_a_missing_lease() -> None:
    fake = FakeClock()
    writes: list[tuple[float, Lease | None]] = [(0.0, None)]
    writes += renewed_every("kcm", "host-3", 2.0, until=30, start=4.0)
    live = renewing(History(fake, {"kcm": writes}), "kcm", clock=fake.clock())
    assert live is not None
    assert live.holder_hostname == "host-3"


# -- wait_new_holder ----------------------------------------------------------------------


def test_the_takeover_is_timed_from_the_start_of_polling() -> None:
    fake = FakeClock()
    old = lease("kcm", "host-1", transitions=3)
    new = lease("kcm", "host-2", renewed=13.5, transitions=4)
    leases = History(fake, {"kcm": [(0.0, old), (13.5, new)]})
    elapsed, after = wait_new_holder(leases, "kcm", str(old.holder), 30, clock=fake.clock())
    assert after == new
    assert 13.5 <= elapsed <= 13.5 + POLL + READ
    # The read time counts towards the poll interval: one read every POLL seconds.
    assert fake.sleeps == pytest.approx([POLL - READ] * len(fake.sleeps))


def test_a_released_lease_is_not_a_new_holder() -> None:
    fake = FakeClock()
    old = lease("kcm", "host-1")
    writes = [(0.0, old), (2.0, lease("kcm", None)), (4.0, None), (6.0, lease("kcm", "host-3"))]
    elapsed, after = wait_new_holder(
        History(fake, {"kcm": writes}), "kcm", str(old.holder), 30, clock=fake.clock()
    )
    assert after is not None
    assert after.holder_hostname == "host-3"
    assert elapsed >= 6.0


def test_no_takeover_within_the_timeout_says_none() -> None:
    fake = FakeClock()
    old = lease("kcm", "host-1")
    leases = History(fake, {"kcm": [(0.0, old)]})
    elapsed, after = wait_new_holder(leases, "kcm", str(old.holder), 5, clock=fake.clock())
    assert after is None
    assert 5 <= elapsed < 5 + POLL
    assert leases.reads == pytest.approx(5 / POLL, abs=1)


# -- wait_leases_move ---------------------------------------------------------------------


def test_each_lease_is_timed_on_its_own() -> None:
    fake = FakeClock()
    leases = History(
        fake,
        {
            "kcm": [(0.0, lease("kcm", "host-1")), (5.0, lease("kcm", "host-2"))],
            "sched": [(0.0, lease("sched", "host-1")), (8.0, lease("sched", "host-3"))],
        },
    )
    moved = wait_leases_move(
        leases, HOSTNAMES, M1, ["kcm", "sched"], began=0.0, timeout=40, clock=fake.clock()
    )
    assert moved["kcm"][1] == "m2"
    assert moved["sched"][1] == "m3"
    assert 5.0 <= moved["kcm"][0] <= 5.0 + POLL + 2 * READ
    assert 8.0 <= moved["sched"][0] <= 8.0 + POLL + 2 * READ
    assert fake.now < 8.0 + 2 * POLL  # stops as soon as every Lease moved


def test_a_lease_taken_by_a_stranger_or_kept_has_not_moved() -> None:
    fake = FakeClock()
    leases = History(
        fake,
        {
            "kcm": [(0.0, lease("kcm", "host-1")), (3.0, lease("kcm", "laptop"))],
            "sched": [(0.0, lease("sched", "host-1"))],
        },
    )
    moved = wait_leases_move(
        leases, HOSTNAMES, M1, ["kcm", "sched"], began=0.0, timeout=6, clock=fake.clock()
    )
    assert moved["kcm"][1] is None
    assert moved["sched"][1] is None
    assert all(6 <= seconds < 6 + POLL + 2 * READ for seconds, _ in moved.values())


def test_time_counts_from_when_the_master_was_lost() -> None:
    fake = FakeClock()
    fake.now = 100.0
    leases = History(
        fake, {"kcm": [(0.0, lease("kcm", "host-1")), (104.0, lease("kcm", "host-2"))]}
    )
    moved = wait_leases_move(
        leases, HOSTNAMES, M1, ["kcm"], began=99.0, timeout=30, clock=fake.clock()
    )
    assert 5.0 <= moved["kcm"][0] <= 5.0 + POLL + READ


def test_a_master_without_leases_is_not_polled() -> None:
    fake = FakeClock()
    leases = History(fake, {})
    assert wait_leases_move(leases, HOSTNAMES, M1, [], began=0.0, timeout=30) == {}
    assert leases.reads == 0
