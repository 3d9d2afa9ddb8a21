"""API server drill: stop one API server (gracefully, then SIGKILL) while clients send requests.

Requests go through the load balancer, each on a new connection, so the load
balancer picks an upstream for every one of them, as for many clients.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hatool.verify.checks import Check

if TYPE_CHECKING:
    from hatool.verify.drills import Drills

#: Per-request timeout while an API server stops and starts again (see stop_apiserver).
RESTART_TIMEOUT = 15.0


def stop_apiserver(drills: Drills, signal: str) -> None:
    """SIGTERM: ``systemctl stop``, then start; SIGKILL: systemd restarts it. One row."""
    node = drills.target.masters[-1]
    graceful = signal == "SIGTERM"
    name = f"{'stop' if graceful else 'SIGKILL'} kube-apiserver on {node.name} under load"
    drills.progress.say(f"{name} ...")
    # A restarting API server opens its port before it answers: nginx sends it
    # connections that wait 3-5 s for the TLS handshake. That is a delay (the
    # longest gap shows it), not a lost request, so requests may take 15 s here.
    stream = drills.client_stream(timeout=RESTART_TIMEOUT)
    with stream:
        time.sleep(2)
        if graceful:
            drills.systemctl(node, "stop", "kube-apiserver")
        else:
            drills.systemctl(node, "kill", "--signal=SIGKILL", "kube-apiserver")
        time.sleep(10)
        if graceful:
            drills.systemctl(node, "start", "kube-apiserver")
        back = drills.wait_for(f"/readyz of {node.name}", lambda: drills.readyz(node))
        time.sleep(2)
    result = stream.result
    ok = back is not None and (result.failures == 0 if graceful else True)
    expected = "0 failed requests" if graceful else "reported (in-flight requests may fail)"
    drills.report.add(
        Check(
            "drill",
            name,
            ok and result.requests > 0,
            f"{result.describe()}; expected {expected}; ready again after "
            + (f"{back:.1f}s" if back is not None else "never")
            + (f"; e.g. {result.errors[0]}" if result.errors else ""),
            {"host": node.name, "signal": signal, "requests": result.requests,
             "failures": result.failures, "longest_gap_seconds": round(result.longest_gap, 3),
             "ready_again_seconds": back},
        )
    )  # fmt: skip
