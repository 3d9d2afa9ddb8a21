"""Lose a whole master: the one leading kube-controller-manager goes away, then comes back.

How it goes away is the :class:`~hatool.verify.faults.Faults` given to the
drills (a lab cuts its network; a real host stops every service). Clients
read through the load balancer all along; the master's Leases must move.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hatool.verify import poll
from hatool.verify.checks import Check
from hatool.verify.poll import API_GAP_BOUND, SLACK

if TYPE_CHECKING:
    from hatool.verify.drills import Drills

#: The control-plane services a master runs, in the order they are stopped.
MASTER_UNITS = ("kube-controller-manager", "kube-scheduler", "kube-apiserver")
#: Besides polling Leases, how long after the master went away clients keep reading.
AWAY_SECONDS = 10.0
#: Added to the longest takeover bound before the Lease poller gives up.
MOVE_GRACE = 15.0


def lose_master(drills: Drills) -> None:
    """Isolate a master under reads, poll its Leases, restore it: rows for reads, Leases, return."""
    before = {name: drills.renewing(name) for name in drills.target.cluster.component_names}
    kcm = drills.holder(before["kube-controller-manager"])
    node = kcm or drills.target.masters[0]
    held = {n: lease for n, lease in before.items() if lease and drills.holder(lease) == node}
    name = f"lose master {node.name} ({drills.faults.how})"
    drills.progress.say(f"{name}; it holds {', '.join(held) or 'no Lease'} ...")
    units = list(MASTER_UNITS)
    if any(m.name == node.name for m in drills.target.etcd_members):
        units.append("etcd")
    longest = max((drills.target.election(n).takeover_window()[1] for n in held), default=0.0)
    with drills.client_stream() as stream:
        time.sleep(2)
        drills.faults.isolate(node, units)
        began = time.monotonic()
        moved = poll.wait_leases_move(
            drills.leases,
            drills.hostnames,
            node,
            held,
            began=began,
            timeout=longest + SLACK + MOVE_GRACE,
        )
        time.sleep(max(0.0, AWAY_SECONDS - (time.monotonic() - began)))
    result = stream.result
    drills.progress.say(f"bring {node.name} back ...")
    drills.faults.restore(node, units)
    drills.remote.forget(node)  # a connection opened before may be dead now
    back = drills.wait_for(f"{node.name} ready and etcd healthy", lambda: drills.readyz(node))
    drills.report.add(
        Check(
            "drill",
            f"{name}: the API through the load balancer keeps answering",
            result.requests > 0 and result.longest_gap <= API_GAP_BOUND,
            f"{result.describe()}; expected a gap of at most {API_GAP_BOUND:g}s"
            + (f"; e.g. {result.errors[0]}" if result.errors else ""),
            {"host": node.name, "requests": result.requests, "failures": result.failures,
             "longest_gap_seconds": round(result.longest_gap, 3)},
        )
    )  # fmt: skip
    for lease_name, (seconds, to) in moved.items():
        high = drills.target.election(lease_name).takeover_window()[1]
        drills.report.add(
            Check(
                "drill",
                f"{name}: {lease_name} moves to another master",
                to is not None and to != node.name and seconds <= high + SLACK,
                f"{node.name} -> {to or 'nobody'} in {seconds:.2f}s, expected at most "
                f"{high:g}s (+{SLACK:g}s slack)",
                {"from": node.name, "to": to, "seconds": round(seconds, 3)},
            )
        )
    drills.report.add(
        Check(
            "drill",
            f"{node.name} comes back",
            back is not None,
            f"/readyz ok {back:.1f}s after it returned" if back is not None else "not ready",
            {"seconds": back},
        )
    )
