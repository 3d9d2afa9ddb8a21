"""Polling while a drill breaks something: how often, how long, and what counts as a change.

Times are taken on this machine's monotonic clock (a :class:`Clock`, which
tests replace with one that moves only when the code sleeps); Leases are
read every ``POLL`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from hatool.verify.api import Lease
from hatool.verify.target import Node

POLL = 0.2
#: Added to a takeover bound: one poll interval plus the time a Lease read takes.
SLACK = 1.0
#: How long a restored component may take to be healthy again.
RECOVERY_TIMEOUT = 120.0
#: How long to wait for a Lease's holder to be seen renewing it.
RENEWAL_TIMEOUT = 60.0
#: hatool's objective for the API through the load balancer while a member or a
#: whole master is lost: the longest pause between two successful requests.
#: Not an algorithmic bound: a black-holed etcd endpoint holds a request until
#: the API server's etcd client gives up on it.
API_GAP_BOUND = 10.0


class Leases(Protocol):
    """Anything that reads a ``kube-system`` Lease by name (``api.LeaseClient`` does)."""

    def read(self, name: str) -> Lease | None: ...


@dataclass(frozen=True)
class Clock:
    """Where the pollers get the time and how they wait."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


SYSTEM_CLOCK = Clock()


def holder(hostnames: Mapping[str, Node], lease: Lease | None) -> Node | None:
    """The master that holds ``lease`` (by the host name in its identity), if it is one."""
    return hostnames.get(lease.holder_hostname or "") if lease else None


def wait_for(
    condition: Callable[[], bool],
    timeout: float = RECOVERY_TIMEOUT,
    *,
    poll: float = POLL,
    clock: Clock = SYSTEM_CLOCK,
) -> float | None:
    """Seconds until ``condition`` holds, or None after ``timeout``."""
    began = clock.monotonic()
    while clock.monotonic() - began < timeout:
        if condition():
            return clock.monotonic() - began
        clock.sleep(poll)
    return None


def renewing(
    leases: Leases,
    name: str,
    timeout: float = RENEWAL_TIMEOUT,
    *,
    poll: float = POLL,
    clock: Clock = SYSTEM_CLOCK,
) -> Lease | None:
    """The Lease once its holder has been seen renewing it: a live leader, not a stale record.

    Right after a deploy restarted the components, a Lease can still name a
    process that is gone; killing "the leader" then would measure nothing.
    """
    began = clock.monotonic()
    first = leases.read(name)
    while clock.monotonic() - began < timeout:
        clock.sleep(poll)
        now = leases.read(name)
        if now is None or not now.holder:
            continue
        if first and now.holder == first.holder and now.renew_time != first.renew_time:
            return now
        if first is None or now.holder != first.holder:
            first = now
    return None


def wait_new_holder(
    leases: Leases,
    name: str,
    old: str,
    timeout: float,
    *,
    poll: float = POLL,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[float, Lease | None]:
    """Poll the Lease until a holder other than ``old`` has it: (seconds, Lease or None)."""
    began = clock.monotonic()
    while (elapsed := clock.monotonic() - began) < timeout:
        tick = clock.monotonic()
        lease = leases.read(name)
        if lease and lease.holder and lease.holder != old:
            return clock.monotonic() - began, lease
        clock.sleep(max(0.0, poll - (clock.monotonic() - tick)))
    return elapsed, None


def wait_leases_move(
    leases: Leases,
    hostnames: Mapping[str, Node],
    node: Node,
    held: Iterable[str],
    *,
    began: float,
    timeout: float,
    poll: float = POLL,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[str, tuple[float, str | None]]:
    """Poll every Lease in ``held`` together until each has a holder other than ``node``.

    Seconds are counted from ``began`` (a ``clock.monotonic()`` reading); a
    Lease that has not moved ``timeout`` seconds after it gets (seconds, None).
    """
    names = list(held)
    moved: dict[str, tuple[float, str | None]] = {}
    while len(moved) < len(names) and clock.monotonic() - began < timeout:
        tick = clock.monotonic()
        for lease_name in names:
            if lease_name in moved:
                continue
            new = holder(hostnames, leases.read(lease_name))
            if new is not None and new != node:
                moved[lease_name] = (clock.monotonic() - began, new.name)
        clock.sleep(max(0.0, poll - (clock.monotonic() - tick)))
    for lease_name in names:
        moved.setdefault(lease_name, (clock.monotonic() - began, None))
    return moved
