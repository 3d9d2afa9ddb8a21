"""Health checks of a deployed control plane: the API, etcd and leader election.

Each check is one row: what was looked at, whether it holds, and what was
seen. The looking is done by :mod:`hatool.verify.probes`; here the answers
are judged. ``hatool verify`` prints the rows; the end-to-end tests assert on them.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import asdict, dataclass, field
from typing import Any

from hatool.inventory.durations import parse_duration
from hatool.verify.api import LeaseClient
from hatool.verify.certificates import expiring
from hatool.verify.certificates import rows as certificate_rows
from hatool.verify.probes import (
    etcd_status,
    get_readyz,
    hostnames,
    is_ready,
    on_first_answering_member,
    running_flags,
    unit_states,
    vip_holders,
)
from hatool.verify.remote import Remote
from hatool.verify.target import Target


@dataclass
class Check:
    """One verified fact."""

    area: str
    name: str
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the API ---------------------------------------------------------------------------


def readyz(target: Target, context: ssl.SSLContext) -> list[Check]:
    """/readyz through every load balancer and of every API server directly."""
    checks = []
    endpoints = [("via load balancer", n, target.loadbalancer_port) for n in target.loadbalancers]
    if target.cluster.loadbalancers.vip:
        endpoints.append(("via", target.client_entry, target.loadbalancer_port))
    endpoints += [("direct", n, target.apiserver_port) for n in target.masters]
    for how, node, port in endpoints:
        status, body = get_readyz(context, node, port)
        checks.append(
            Check(
                area="api",
                name=f"/readyz {how} {node.name} ({node.address}:{port})",
                ok=is_ready(status, body),
                detail=f"HTTP {status}: {body[:200]}" if status else body,
                data={"host": node.name, "port": port, "status": status},
            )
        )
    return checks


# -- the load balancers -------------------------------------------------------------------


def loadbalancers(target: Target, remote: Remote) -> list[Check]:
    """Every load balancer runs its engine (and keepalived); one of them holds the virtual IP."""
    lbs = target.cluster.loadbalancers
    units = lbs.units
    states = {n.name: unit_states(remote, n, *units) for n in target.loadbalancers}
    down = {
        host: ", ".join(f"{u} {s}" for u, s in unit.items() if s != "active")
        for host, unit in states.items()
        if any(s != "active" for s in unit.values())
    }
    checks = [
        Check(
            "lb",
            f"{' and '.join(units)} active on every load balancer",
            not down,
            "; ".join(f"{h}: {d}" for h, d in sorted(down.items()))
            or f"active on {', '.join(sorted(states))}",
            {"states": states},
        )
    ]
    if lbs.vip:
        holders = vip_holders(target, remote)
        checks.append(
            Check(
                "lb",
                f"exactly one load balancer holds the virtual IP {lbs.vip}",
                len(holders) == 1,
                f"held by {', '.join(holders) or 'nobody'}",
                {"holders": holders},
            )
        )
    return checks


# -- etcd --------------------------------------------------------------------------------


def etcd(target: Target, remote: Remote) -> list[Check]:
    """Every member healthy, one leader, equal raft terms, members equal to the inventory."""
    health = on_first_answering_member(
        target, remote, target.etcdctl("endpoint", "health", "--cluster", "-w", "json")
    )
    try:
        answers = json.loads(health.stdout) if health.stdout.strip() else []
    except json.JSONDecodeError:
        answers = []
    healthy = sorted(a["endpoint"] for a in answers if a.get("health"))
    expected = len(target.etcd_members)
    unhealthy = [
        f"{n.name} ({url})"
        for n in target.etcd_members
        if (url := target.etcd_endpoints([n])) not in healthy
    ]
    checks = [
        Check(
            "etcd",
            "every member healthy",
            health.ok and len(healthy) == expected,
            f"{len(healthy)} of {expected} healthy"
            + (f"; not healthy: {', '.join(unhealthy)}" if unhealthy else "")
            + (f"; {health.stderr.strip()[:300]}" if not health.ok else ""),
            {"healthy": healthy, "unhealthy": unhealthy},
        )
    ]
    status = etcd_status(target, remote)
    names = sorted(status.members.values())
    wanted = sorted(n.name for n in target.etcd_members)
    checks.append(
        Check(
            "etcd",
            "members equal the inventory",
            names == wanted,
            f"members {', '.join(names) or '(none)'}; inventory {', '.join(wanted)}"
            + (f"; {status.errors[:300]}" if status.errors else ""),
            {"members": names},
        )
    )
    checks.append(
        Check(
            "etcd",
            "exactly one leader",
            len(status.endpoints) == expected and status.leader_name is not None,
            f"leader {status.leader_name} (as seen by {len(status.endpoints)} members)",
            {"leader": status.leader_name},
        )
    )
    checks.append(
        Check(
            "etcd",
            "equal raft terms",
            len(status.terms) == 1,
            f"raft terms {sorted(status.terms)}",
            {"terms": sorted(status.terms)},
        )
    )
    return checks


# -- leader election -----------------------------------------------------------------------


def election_flags(target: Target, remote: Remote) -> list[Check]:
    """Every running controller manager and scheduler takes part in the election, as configured."""
    checks = []
    for component in target.components:
        unit = component.name
        lease_s, renew_s, retry_s = component.election.seconds
        wanted: dict[str, str | float] = {
            "--leader-elect": "true",
            "--leader-elect-lease-duration": lease_s,
            "--leader-elect-renew-deadline": renew_s,
            "--leader-elect-retry-period": retry_s,
        }
        wrong: dict[str, list[str]] = {}
        for node in target.masters:
            flags = running_flags(remote, node, unit)
            if flags is None:
                continue  # not running: the "active" row reports it
            for flag, value in wanted.items():
                seen = flags.get(flag)
                same = seen == value if isinstance(value, str) else _same_duration(seen, value)
                if not same:
                    wrong.setdefault(node.name, []).append(f"{flag}={seen or '(unset)'}")
        checks.append(
            Check(
                "election",
                f"{unit}: leader election on, with the configured timings",
                not wrong,
                "; ".join(f"{host}: {', '.join(bad)}" for host, bad in sorted(wrong.items()))
                or f"--leader-elect=true, {lease_s:g}s/{renew_s:g}s/{retry_s:g}s on every "
                f"running {unit}",
                {"wrong": wrong},
            )
        )
    return checks


def _same_duration(seen: str | None, seconds: float) -> bool:
    try:
        return seen is not None and abs(parse_duration(seen) - seconds) < 1e-6
    except ValueError:
        return False


def election(target: Target, remote: Remote, leases: LeaseClient) -> list[Check]:
    """One holder per Lease, on a master whose service runs; every standby running."""
    by_hostname = hostnames(target, remote)
    units = [c.name for c in target.components]
    states = {n.name: unit_states(remote, n, *units) for n in target.masters}
    checks = []
    for unit in units:
        lease_name = unit  # each component's Lease, unit and binary share its name
        lease = leases.read(lease_name)
        holder_node = by_hostname.get(lease.holder_hostname or "") if lease else None
        checks.append(
            Check(
                "election",
                f"{lease_name}: one holder, a master",
                holder_node is not None,
                f"held by {lease.holder if lease else '(no Lease)'}"
                + (f" = {holder_node.name}" if holder_node else " (not a control-plane host)"),
                {"holder": lease.holder if lease else None,
                 "host": holder_node.name if holder_node else None},
            )
        )  # fmt: skip
        inactive = {n: s[unit] for n, s in states.items() if s[unit] != "active"}
        checks.append(
            Check(
                "election",
                f"{unit}: leader and standbys active",
                not inactive,
                "active on " + ", ".join(sorted(states))
                if not inactive
                else ", ".join(f"{n}: {s}" for n, s in sorted(inactive.items())),
                {"states": {n: s[unit] for n, s in states.items()}},
            )
        )
        configured = target.election(unit).seconds[0]
        seen = lease.duration_seconds if lease else None
        checks.append(
            Check(
                "election",
                f"{lease_name}: leaseDurationSeconds = configured",
                seen is not None and seen == configured,
                f"Lease says {seen}s, inventory says {configured:g}s",
                {"lease_duration_seconds": seen, "configured": configured},
            )
        )
    return checks


# -- certificates ----------------------------------------------------------------------


def certificates(target: Target, remote: Remote, days: int | None = None) -> list[Check]:
    """No certificate on any host or on the controller expires within ``days`` (the renewal
    threshold, ``certificates_renew_before_days``); a failing row names each one."""
    days = target.cluster.certificates.renew_before_days if days is None else days
    rows, unread = certificate_rows(target.cluster, target, remote)
    soon = expiring(rows, days)
    hosts = len({r.host for r in rows})
    if soon:
        detail = "; ".join(
            f"{r.where} ({r.info.subject}) expires in {r.info.days_left} days" for r in soon
        )
    else:
        first = min(rows, key=lambda r: r.info.not_after) if rows else None
        detail = f"{len(rows)} certificates on {hosts} hosts (with the controller)" + (
            f"; the first to expire: {first.where} in {first.info.days_left} days" if first else ""
        )
    if unread:
        detail += "; could not read " + ", ".join(f"{h} ({e})" for h, e in sorted(unread.items()))
    return [
        Check(
            "certs",
            f"no certificate expires within {days} days",
            not soon and not unread and bool(rows),
            detail,
            {"expiring": [r.as_dict() for r in soon], "certificates": len(rows),
             "unread": unread, "threshold_days": days},
        )
    ]  # fmt: skip


def all_checks(
    target: Target,
    remote: Remote,
    context: ssl.SSLContext,
    leases: LeaseClient,
    *,
    security: bool = True,
) -> list[Check]:
    """Every health check, in the order they are printed; the CIS rows last (``security``)."""
    from hatool.verify import cis  # noqa: PLC0415 - cis builds its rows on Check, above

    return [
        *readyz(target, context),
        *loadbalancers(target, remote),
        *etcd(target, remote),
        *election(target, remote, leases),
        *election_flags(target, remote),
        *certificates(target, remote),
        *(cis.checks(target, remote) if security else []),
    ]
