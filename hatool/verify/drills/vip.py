"""The virtual IP moves: lose the load balancer that holds it, then only its engine.

Clients send a request every 50 ms to the virtual IP while the drill takes
the holder away (its services stop, as for maintenance or a power cut: a lab
stops the container) and, once the address has moved, stops only the engine
(nginx or haproxy) on the new holder, keepalived still running: its check
fails and it gives the address up. Each move is timed against keepalived's
own bound, 3 advertisements plus the check's interval x fall.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hatool.verify import probes
from hatool.verify.checks import Check
from hatool.verify.poll import POLL, SLACK

if TYPE_CHECKING:
    from hatool.verify.drills import Drills
    from hatool.verify.target import Node

#: Per-request timeout through the virtual IP: a request sent to a host that lost
#: the address fails fast, so the longest gap shows the move.
REQUEST_TIMEOUT = 2.0
#: How long clients keep sending after the address moved.
AFTER_SECONDS = 4.0
#: How long a returned load balancer is watched for taking the address back.
NO_FLAP_SECONDS = 6.0


def _new_holder(drills: Drills, old: str, timeout: float) -> tuple[float | None, str | None]:
    """Seconds until a load balancer other than ``old`` holds the virtual IP, and which."""
    began = time.monotonic()
    vip = drills.target.cluster.loadbalancers.vip
    others = [n for n in drills.target.loadbalancers if n.name != old]
    while time.monotonic() - began < timeout:
        for node in others:
            if vip and probes.holds_address(drills.remote, node, vip):
                return time.monotonic() - began, node.name
        time.sleep(POLL)
    return None, None


def _move(
    drills: Drills, node: Node, what: str, units: tuple[str, ...], *, stop_all: bool
) -> str | None:
    """Take ``node`` (the holder) away under requests; rows for the move; the new holder."""
    vrrp = drills.target.cluster.loadbalancers.vrrp
    if vrrp is None:
        return None
    bound = vrrp.failover_bound()
    name = f"{what} on {node.name}, which holds the virtual IP"
    drills.progress.say(f"{name} ...")
    stream = drills.client_stream(timeout=REQUEST_TIMEOUT)
    with stream:
        time.sleep(2)
        if stop_all:
            drills.faults.power_off(node, units)
        else:
            drills.systemctl(node, "stop", *units)
        seconds, holder = _new_holder(drills, node.name, bound + SLACK + 10)
        time.sleep(AFTER_SECONDS)
    result = stream.result
    drills.report.add(
        Check(
            "drill",
            f"{name}: the virtual IP moves",
            seconds is not None and seconds <= bound + SLACK,
            (f"{node.name} -> {holder} in {seconds:.2f}s" if seconds is not None
             else f"still not moved after {bound + SLACK + 10:g}s")
            + f", expected at most {bound:g}s (3 x advert_int + interval x fall, "
            f"+{SLACK:g}s slack)",
            {"from": node.name, "to": holder, "seconds": seconds, "bound_seconds": bound,
             "slack_seconds": SLACK, "how": what},
        ),
        Check(
            "drill",
            f"{name}: clients of the virtual IP",
            result.requests > 0 and result.longest_gap <= bound + SLACK,
            f"{result.describe()}; expected a gap of at most {bound:g}s (+{SLACK:g}s slack)"
            + (f"; e.g. {result.errors[0]}" if result.errors else ""),
            {"requests": result.requests, "failures": result.failures,
             "longest_gap_seconds": round(result.longest_gap, 3), "timeline": stream.timeline},
        ),
    )  # fmt: skip
    return holder


def _back(drills: Drills, node: Node, holder: str | None, units: tuple[str, ...]) -> None:
    """``node`` runs again as a backup; the address stays where it moved (no preemption)."""
    drills.remote.forget(node)
    back = drills.wait_for(
        f"{', '.join(units)} active on {node.name}",
        lambda: all(
            s == "active" for s in probes.unit_states(drills.remote, node, *units).values()
        ),
    )
    time.sleep(NO_FLAP_SECONDS)
    holders = probes.vip_holders(drills.target, drills.remote)
    drills.report.add(
        Check(
            "drill",
            f"{node.name} comes back as a backup; the virtual IP stays on {holder}",
            back is not None and holders == [holder],
            (f"{', '.join(units)} active after {back:.1f}s" if back is not None
             else "not active again") + f"; the virtual IP is on {', '.join(holders) or 'nobody'}",
            {"host": node.name, "seconds": back, "holders": holders},
        )
    )  # fmt: skip


def lose_loadbalancers(drills: Drills) -> None:
    """With a virtual IP: lose its holder entirely, then only the engine of the next holder."""
    lbs = drills.target.cluster.loadbalancers
    if lbs.vip is None or len(lbs.hosts) < 2:
        return  # nothing to move: the load balancer rows of the health checks say so
    holders = probes.vip_holders(drills.target, drills.remote)
    if len(holders) != 1:
        drills.report.add(
            Check("drill", "lose the load balancer that holds the virtual IP", False,
                  f"the virtual IP is held by {', '.join(holders) or 'nobody'}, not one host")
        )  # fmt: skip
        return
    first = drills.target.node(holders[0])
    holder = _move(drills, first, drills.faults.power_how, lbs.units, stop_all=True)
    drills.faults.power_on(first, lbs.units)
    _back(drills, first, holder, lbs.units)
    if holder is None:
        return
    second = drills.target.node(holder)
    engine = (lbs.engine,)
    moved = _move(drills, second, f"stop only {lbs.engine}", engine, stop_all=False)
    drills.systemctl(second, "start", lbs.engine)
    _back(drills, second, moved, engine)
