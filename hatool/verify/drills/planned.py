"""Planned maintenance that no client notices, through ``playbooks/rolling-restart.yml``.

- Every API server restarted, one at a time, while a client sends a request
  every 50 ms through the load balancers: each is drained on every load
  balancer first and goes back only once steadily ready, so no request fails.
- The leading kube-controller-manager (then kube-scheduler) restarted: the
  standbys first, then the leader, whose Lease is released once its process is
  gone; a standby takes over at its next retry, not a lease duration later.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hatool.cluster.model import JITTER_FACTOR
from hatool.verify import probes
from hatool.verify.api import tls_context
from hatool.verify.checks import Check
from hatool.verify.drills.leaders import takeover_after
from hatool.verify.poll import POLL, SLACK

if TYPE_CHECKING:
    from hatool.verify.api import Lease
    from hatool.verify.drills import Drills
    from hatool.verify.target import Node

PLAYBOOK = "rolling-restart.yml"
#: A planned restart under load may leave no gap longer than this between answers.
QUIET_GAP = 1.0


def rolling_apiserver_restart(drills: Drills) -> None:
    """Restart every API server through the playbook under requests: none may fail."""
    engine = drills.target.cluster.loadbalancers.engine
    name = f"rolling restart of every kube-apiserver under load ({engine}, drained first)"
    drills.progress.say(f"{name} ...")
    began = time.monotonic()
    # As an everyday, RBAC-bound client (admin.conf): a planned restart must not
    # show it the moment a starting API server has not synced its RBAC cache.
    with drills.client_stream(context=tls_context(drills.target.pki, "admin")) as stream:
        time.sleep(2)
        failed = drills.playbook(PLAYBOOK, restart_components=["kube-apiserver"])
        time.sleep(2)
    result = stream.result
    drills.report.add(
        Check(
            "drill",
            name,
            failed is None and result.requests > 0 and result.failures == 0
            and result.longest_gap < QUIET_GAP,
            f"{result.describe()} in {time.monotonic() - began:.0f}s; expected 0 failed and "
            f"no gap of {QUIET_GAP:g}s" + (f"; {failed}" if failed else "")
            + (f"; e.g. {result.errors[0]}" if result.errors else ""),
            {"engine": engine, "requests": result.requests, "failures": result.failures,
             "longest_gap_seconds": round(result.longest_gap, 3), "timeline": result.timeline},
        )
    )  # fmt: skip


@dataclass
class _Watch:
    """Polls a Lease while a restart runs: every holder seen, and the old leader's state."""

    drills: Drills
    lease: str
    old: Lease
    node: Node
    seen: list[tuple[float, Lease]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            lease = self.drills.read_lease(self.lease)
            if lease is not None:
                self.seen.append((time.monotonic(), lease))
            self._stop.wait(POLL)

    def stop(self) -> None:
        self._stop.set()

    def last_renewal(self) -> Lease | None:
        """The old leader's last record before anybody else held the Lease."""
        last = None
        for _, lease in self.seen:
            if lease.holder == self.old.holder:
                last = lease
            elif lease.holder:
                break
        return last

    def successor(self) -> Lease | None:
        """The first record of another holder."""
        others = (
            lease for _, lease in self.seen if lease.holder not in (None, "", self.old.holder)
        )
        return next(others, None)

    def holders(self) -> list[str]:
        """Every holder seen, in order, each once in a row."""
        order: list[str] = []
        for _, lease in self.seen:
            if not order or order[-1] != (lease.holder or ""):
                order.append(lease.holder or "")
        return order


def planned_leader_restart(drills: Drills, lease_name: str) -> None:
    """Restart ``lease_name``'s component through the playbook; its Lease must move at once."""
    election = drills.target.election(lease_name)
    retry = election.seconds[2]
    bound = 2 * JITTER_FACTOR * retry
    name = f"planned restart of the leading {lease_name} (standbys first, Lease released)"
    old = drills.renewing(lease_name)
    node = drills.holder(old)
    if old is None or node is None:
        drills.report.add(Check("drill", name, False, "no live holder on a master"))
        return
    drills.progress.say(f"{name}: the leader is on {node.name} ...")
    watch = _Watch(drills, lease_name, old, node)
    poller = threading.Thread(target=watch.run, daemon=True)
    poller.start()
    failed = drills.playbook(PLAYBOOK, restart_components=[lease_name])
    watch.stop()
    poller.join()
    last, new = watch.last_renewal(), watch.successor()
    gap = (
        (new.acquire_time - last.renew_time).total_seconds()
        if new and last and new.acquire_time and last.renew_time
        else None
    )
    new_node = drills.holder(new)
    crash = takeover_after(drills.report, lease_name, "SIGKILL")
    holders = watch.holders()
    old_state = old_leader_state(
        new, probes.stop_start_times(drills.remote, node, lease_name) if new else None
    )
    alone = old_state == "inactive" and holders.count(old.holder or "") == 1
    transitions = (new.transitions or 0) - (old.transitions or 0) if new else None
    drills.report.add(
        Check(
            "drill",
            name,
            failed is None and gap is not None and gap <= bound + SLACK and alone
            and transitions == 1,
            (f"{node.name} -> {new_node.name if new_node else 'nobody'}; leaderless "
             + (f"{gap:.2f}s" if gap is not None else "(no successor seen)")
             + f" (the old leader's last renewal to the new leader's acquisition), expected at "
             f"most {bound:g}s (2 x 1.2 x retry period, +{SLACK:g}s slack)"
             + (f"; a crash costs {crash:.2f}s (SIGKILL drill)" if crash is not None else "")
             + f"; {node.name}'s {lease_name} was {old_state or 'not checked'} when the "
             f"Lease moved; holders in turn: {len(holders)}"
             + (f"; {failed}" if failed else "")),
            {"component": lease_name, "from": node.name,
             "to": new_node.name if new_node else None, "leaderless_seconds": gap,
             "bound_seconds": bound, "slack_seconds": SLACK, "sigkill_seconds": crash,
             "old_leader_state": old_state, "lease_transitions_delta": transitions},
        )
    )  # fmt: skip


#: Clock difference allowed between the new leader's host (which writes the Lease's
#: acquireTime) and the old leader's (whose systemd records the stop and the start).
CLOCK_SKEW = 0.5


def old_leader_state(new: Lease | None, stop_start: tuple[float, float] | None) -> str | None:
    """The old leader's unit when its successor acquired the Lease: ``inactive`` when that
    was between the unit's last stop and its start again, else ``active``.

    From the timestamps systemd and the Lease keep, not from a look at the unit once
    the move is seen: the playbook starts the old leader again as soon as a standby
    holds the Lease, often before such a look arrives (None: nothing to judge by).
    """
    if new is None or new.acquire_time is None or stop_start is None:
        return None
    stopped, started = stop_start
    acquired = new.acquire_time.timestamp()
    if stopped - CLOCK_SKEW <= acquired <= started + CLOCK_SKEW and stopped <= started:
        return "inactive"
    return "active"
