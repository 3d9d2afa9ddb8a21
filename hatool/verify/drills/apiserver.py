"""API server drill: stop one API server (gracefully, then SIGKILL) while clients send requests.

Requests go through the load balancer, each on a new connection, so the load
balancer picks an upstream for every one of them, as for many clients.

A graceful stop serves for the shutdown delay, then closes the listener. A
connection that nginx handed over in the instant before (still in the
kernel's accept queue) is reset, and nginx, which has already connected,
cannot try another server: the client sees its connection lost before any
answer (1 of 433 requests in one CI run). client-go sends a GET again
after exactly that (``net.IsConnectionReset``/``IsProbableEOF``, 1 s later),
so the stream does too, once, and the row counts such requests apart: a
request fails only when the second try fails as well (haproxy's /readyz
checks, or a drain, keep new connections away before the listener closes).
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
    stream = drills.client_stream(timeout=RESTART_TIMEOUT, retry_lost=True)
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
    expected = (
        "0 failed requests (a GET whose connection is lost before an answer is sent again, "
        "as client-go does)"
        if graceful
        else "reported (in-flight requests may fail)"
    )
    drills.report.add(
        Check(
            "drill",
            name,
            ok and result.requests > 0,
            f"{result.describe()}; expected {expected}; ready again after "
            + (f"{back:.1f}s" if back is not None else "never")
            + (f"; e.g. {result.errors[0]}" if result.errors else ""),
            {"host": node.name, "signal": signal, "requests": result.requests,
             "failures": result.failures, "retried": len(result.retried),
             "longest_gap_seconds": round(result.longest_gap, 3),
             "ready_again_seconds": back},
        )
    )  # fmt: skip
