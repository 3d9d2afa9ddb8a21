"""The floor: what no deploy tool can beat on a deployed cluster.

Stop every control-plane service on every host, then start them all again at
once (``systemctl start --no-block`` on every host in parallel) and wait until
``/readyz`` through the load balancer answers ``ok`` and both Leases
(kube-controller-manager, kube-scheduler) have been renewed since the start.
The time from the start to that moment is the floor: a deploy that found
nothing to do still cannot make a cluster serve sooner than its services start.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hatool.inventory.validate import valid_cluster
from hatool.verify import probes
from hatool.verify.api import LeaseClient, tls_context
from hatool.verify.remote import Remote
from hatool.verify.target import target as make_target

LEASES = ("kube-controller-manager", "kube-scheduler")
ELECTED = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
#: Give up waiting for the cluster after this many seconds.
TIMEOUT = 300.0
POLL = 0.2


def measure(inventory: Path) -> dict[str, Any]:
    """Stop and start the control plane on every host; seconds until it serves again."""
    model, cluster = valid_cluster(str(inventory), "refusing to measure the floor", None)
    target = make_target(model.source, cluster, model.hostvars)
    units: dict[str, list[str]] = {}
    for node in target.etcd_members:
        units.setdefault(node.name, []).append("etcd")
    for node in target.masters:
        units.setdefault(node.name, []).extend(ELECTED)
    nodes = {n.name: n for n in [*target.etcd_members, *target.masters]}
    context = tls_context(target.pki)
    entry = target.client_entry
    with Remote() as remote, ThreadPoolExecutor(max_workers=len(nodes)) as pool:

        def on_all(verb: str) -> list[bool]:
            def one(name: str) -> bool:
                listed = units[name] if verb != "stop" else list(reversed(units[name]))
                return remote.run(nodes[name], f"systemctl {verb} {' '.join(listed)}").ok

            return list(pool.map(one, units))

        list(pool.map(lambda n: remote.run(nodes[n], "true"), units))  # connect first
        began = time.monotonic()
        stopped = on_all("stop")
        stop_seconds = time.monotonic() - began
        started_at = datetime.now(UTC)
        began = time.monotonic()
        started = on_all("start --no-block")
        leases = LeaseClient(target.admin_kubeconfig)
        ready_at: float | None = None
        renewed: dict[str, float] = {}
        while time.monotonic() - began < TIMEOUT:
            now = time.monotonic() - began
            if ready_at is None and probes.is_ready(
                *probes.get_readyz(context, entry, target.loadbalancer_port, timeout=2.0)
            ):
                ready_at = now
            if ready_at is not None:
                for name in LEASES:
                    lease = leases.read(name) if name not in renewed else None
                    renew = lease.renew_time if lease is not None and lease.holder else None
                    if renew is not None and renew >= started_at:
                        renewed[name] = time.monotonic() - began
            if ready_at is not None and len(renewed) == len(LEASES):
                break
            time.sleep(POLL)
    seconds = time.monotonic() - began
    ok = all(stopped) and all(started) and ready_at is not None and len(renewed) == len(LEASES)
    return {
        "ok": ok,
        "seconds": round(seconds, 3),
        "stop_seconds": round(stop_seconds, 3),
        "readyz_seconds": round(ready_at, 3) if ready_at is not None else None,
        "lease_seconds": {name: round(s, 3) for name, s in renewed.items()},
        "hosts": sorted(units),
    }
