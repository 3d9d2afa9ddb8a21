"""Leader-election drills: kill the process that holds a Lease, time the standby's takeover.

A standby may take the Lease only after it expired on its own clock, so the
takeover after SIGKILL lies in ``Timings.takeover_window()``; after SIGTERM
(v1.20 does not release its Lease) no sooner is promised, only the upper bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hatool.verify import poll
from hatool.verify.checks import Check
from hatool.verify.poll import RENEWAL_TIMEOUT, SLACK
from hatool.verify.report import Report

if TYPE_CHECKING:
    from hatool.verify.drills import Drills


def kill_leader(drills: Drills, lease_name: str, signal: str) -> None:
    """Send ``signal`` to the unit that holds ``lease_name``; one row: takeover time and more."""
    unit = lease_name  # a component's Lease and unit share its name
    low, high = drills.target.election(unit).takeover_window()
    before = drills.renewing(lease_name)
    node = drills.holder(before)
    name = f"{signal} the leading {unit}"
    if before is None or node is None or before.holder is None:
        drills.report.add(
            Check(
                "drill",
                name,
                False,
                f"no live holder on a master (no renewal seen within {RENEWAL_TIMEOUT:g}s)",
            )
        )
        return
    drills.progress.say(f"{name}: {signal} on {node.name} ...")
    drills.systemctl(node, "kill", f"--signal={signal}", unit)
    elapsed, after = poll.wait_new_holder(
        drills.leases, lease_name, before.holder, high + SLACK + 10
    )
    new = drills.holder(after)
    transitions = (
        (after.transitions or 0) - (before.transitions or 0) if after is not None else None
    )
    back = drills.wait_for(f"{unit} active on {node.name}", lambda: drills.unit_active(node, unit))
    still_holder = drills.holder(drills.read_lease(lease_name))
    standby = back is not None and still_holder is not None and still_holder != node
    in_window = after is not None and elapsed <= high + SLACK
    if signal == "SIGKILL":
        in_window = in_window and elapsed >= low - SLACK / 2
        bound = f"{low:g}s to {high:g}s (+{SLACK:g}s slack)"
    else:
        bound = f"at most {high:g}s (+{SLACK:g}s slack)"
    moved = new is not None and new != node
    killed = takeover_after(drills.report, unit, "SIGKILL") if signal != "SIGKILL" else None
    compared = (
        f" (SIGKILL: {killed:.2f}s, difference {elapsed - killed:+.2f}s)"
        if killed is not None
        else ""
    )
    drills.report.add(
        Check(
            "drill",
            name,
            moved and in_window and transitions == 1 and standby,
            (f"{node.name} -> {new.name if new else 'nobody'} in {elapsed:.2f}s{compared}, "
             f"expected {bound}; leaseTransitions +{transitions}; "
             f"{node.name} {'back as standby' if standby else 'NOT back as standby'}"
             + (f" after {back:.1f}s" if back is not None else "")),
            {"component": unit, "signal": signal, "from": node.name,
             "to": new.name if new else None, "takeover_seconds": round(elapsed, 3),
             "window_seconds": [low, high], "slack_seconds": SLACK,
             "lease_transitions_delta": transitions, "sigkill_seconds": killed,
             "restarted_seconds": round(back, 3) if back is not None else None},
        )
    )  # fmt: skip


def takeover_after(report: Report, unit: str, signal: str) -> float | None:
    """The takeover time already measured for ``unit`` after ``signal``."""
    for check in report.checks:
        if check.data.get("component") == unit and check.data.get("signal") == signal:
            return float(check.data["takeover_seconds"])
    return None
