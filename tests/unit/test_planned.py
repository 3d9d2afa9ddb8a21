"""A planned leader restart: releasing a Lease safely, and judging what the poller saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client import ApiException

from hatool.verify.api import Lease, LeaseClient
from hatool.verify.drills.planned import _Watch, old_leader_state
from hatool.verify.probes import parse_stop_start
from hatool.verify.target import Node

OLD = "master-1_1111"
NEW = "master-2_2222"


class FakeCoordination:
    """A CoordinationV1Api that holds one Lease and can refuse a write as stale."""

    def __init__(self, holder: str, *, conflict: bool = False) -> None:
        self.lease = SimpleNamespace(
            metadata=SimpleNamespace(resource_version="7"),
            spec=SimpleNamespace(holder_identity=holder),
        )
        self.conflict = conflict
        self.written: list[Any] = []

    def read_namespaced_lease(self, name: str, namespace: str, **_: Any) -> Any:
        return self.lease

    def replace_namespaced_lease(self, name: str, namespace: str, body: Any, **_: Any) -> Any:
        if self.conflict:
            raise ApiException(status=409, reason="Conflict")
        self.written.append((body.metadata.resource_version, body.spec.holder_identity))
        return body


def client(api: FakeCoordination) -> LeaseClient:
    leases = LeaseClient.__new__(LeaseClient)
    leases._api = api  # type: ignore[assignment]
    leases._timeout = 1.0
    return leases


def test_a_gone_holder_is_released_with_the_version_it_was_read_at() -> None:
    api = FakeCoordination(OLD)
    assert client(api).release("kube-scheduler", OLD) is True
    assert api.written == [("7", "")]


def test_a_lease_held_by_someone_else_is_left_alone() -> None:
    api = FakeCoordination(NEW)
    assert client(api).release("kube-scheduler", OLD) is False
    assert api.written == []


def test_a_renewal_in_between_wins() -> None:
    api = FakeCoordination(OLD, conflict=True)
    assert client(api).release("kube-scheduler", OLD) is False


def test_other_api_errors_are_not_hidden() -> None:
    api = FakeCoordination(OLD)

    def refuse(*_: Any, **__: Any) -> Any:
        raise ApiException(status=403, reason="Forbidden")

    api.replace_namespaced_lease = refuse  # type: ignore[method-assign]
    with pytest.raises(ApiException):
        client(api).release("kube-scheduler", OLD)


T0 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def lease(holder: str, renew: float, acquire: float = 0.0, transitions: int = 1) -> Lease:
    return Lease(
        "kube-scheduler", holder, 15, transitions,
        T0 + timedelta(seconds=renew), T0 + timedelta(seconds=acquire),
    )  # fmt: skip


def watch(*seen: Lease) -> _Watch:
    w = _Watch(drills=None, lease="kube-scheduler", old=seen[0], node=Node("master-1", "127.0.9.1"))  # type: ignore[arg-type]
    w.seen = [(float(i), item) for i, item in enumerate(seen)]
    return w


def test_the_watch_finds_the_last_renewal_and_the_successor() -> None:
    w = watch(
        lease(OLD, 0), lease(OLD, 2), lease(OLD, 4), lease("", 4),
        lease(NEW, 6.5, 6.5, 2), lease(NEW, 8.5, 6.5, 2),
    )  # fmt: skip
    last, new = w.last_renewal(), w.successor()
    assert last is not None
    assert last.renew_time == T0 + timedelta(seconds=4)
    assert new is not None
    assert new.holder == NEW
    assert new.transitions == 2
    assert w.holders() == [OLD, "", NEW]


def test_the_watch_sees_an_old_leader_that_came_back() -> None:
    w = watch(lease(OLD, 0), lease(NEW, 3, 3, 2), lease(OLD, 5, 5, 3))
    assert w.holders() == [OLD, NEW, OLD]
    assert w.holders().count(OLD) == 2


def test_the_old_leader_was_stopped_when_the_lease_moved_in_its_stop_start_window() -> None:
    """Judged from systemd's stop and start times and the Lease's acquireTime, so the
    old leader started again at once (the playbook does) still counts as stopped."""
    new = lease(NEW, 6.5, 6.5, 2)
    at = T0.timestamp()
    assert old_leader_state(new, (at + 4.2, at + 7.0)) == "inactive"
    assert old_leader_state(new, (at + 4.2, at + 6.2)) == "inactive"  # within the clock skew
    assert old_leader_state(new, (at + 8.0, at + 9.0)) == "active"  # moved before it stopped
    assert old_leader_state(new, (at + 1.0, at + 2.0)) == "active"  # started long before
    assert old_leader_state(new, None) is None
    assert old_leader_state(None, (at, at + 1)) is None


def test_systemds_monotonic_stop_and_start_become_unix_times() -> None:
    shown = "ActiveEnterTimestampMonotonic=7500000\nInactiveEnterTimestampMonotonic=5000000\n"
    assert parse_stop_start(shown + "offset=1700000000.250000\n") == (1700000005.25, 1700000007.75)
    never = "ActiveEnterTimestampMonotonic=7500000\nInactiveEnterTimestampMonotonic=0\n"
    assert parse_stop_start(never + "offset=1.0\n") is None  # never stopped
    assert parse_stop_start(shown) is None  # no python3 on the host
