"""Where a playbook run's time went: per phase, per role and per task.

A task's time is its wall time: from its start to the start of the next task
(the linear strategy runs one task at a time on all hosts, so the times add
up to the run). Tasks outside a role (fact gathering, a play's own tasks)
count under ``<phase> (play)``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hatool.playview.state import Run, Task


def _role(run: Run, task: Task) -> str:
    return task.role or f"{run.phases[task.phase].label} (play)"


def breakdown(run: Run) -> dict[str, Any]:
    """The run's times as plain data (what ``*.timings.json`` holds)."""
    roles: dict[str, dict[str, Any]] = defaultdict(lambda: {"seconds": 0.0, "tasks": 0})
    for task in run.tasks:
        entry = roles[_role(run, task)]
        entry["seconds"] += task.seconds
        entry["tasks"] += 1
    tasks = sorted(run.tasks, key=lambda t: t.seconds, reverse=True)
    return {
        "total_seconds": round(run.seconds, 3),
        "phases": [
            {"label": p.label, "name": p.name, "seconds": round(p.seconds, 3),
             "changed": p.changed,
             "hosts": {h: round(s, 3) for h, s in sorted(p.host_seconds.items())}}
            for p in run.phases
        ],
        "roles": sorted(
            ({"role": role, "seconds": round(v["seconds"], 3), "tasks": v["tasks"]}
             for role, v in roles.items()),
            key=lambda r: r["seconds"], reverse=True,
        ),
        "tasks": [
            {"name": t.name, "role": _role(run, t), "path": t.path,
             "phase": run.phases[t.phase].label, "seconds": round(t.seconds, 3),
             "handler": t.handler,
             "slowest_host_seconds": round(max(t.hosts.values()), 3) if t.hosts else None}
            for t in tasks
        ],
        "hosts": run.host_counts(),
    }  # fmt: skip


def _short_path(path: str) -> str:
    marker = "/roles/"
    if marker in path:
        return "roles/" + path.split(marker, 1)[1]
    marker = "/playbooks/"
    return "playbooks/" + path.split(marker, 1)[1] if marker in path else path


def format_breakdown(data: dict[str, Any], top: int = 15) -> str:
    """The breakdown as text: time per phase, per role, and the slowest tasks."""
    total = float(data["total_seconds"]) or 1.0
    lines = [f"TIMINGS (hatool_events) total {data['total_seconds']:.1f}s", "per phase:"]
    lines += [
        f"  {p['seconds']:8.1f}s {100 * p['seconds'] / total:5.1f}%  {p['label']}"
        for p in data["phases"]
    ]
    lines.append("per role:")
    lines += [
        f"  {r['seconds']:8.1f}s {100 * r['seconds'] / total:5.1f}%  {r['role']}"
        f" ({r['tasks']} tasks)"
        for r in data["roles"]
    ]
    lines.append(f"slowest {min(top, len(data['tasks']))} tasks:")
    lines += [
        f"  {t['seconds']:8.1f}s  {t['role']}: {t['name']}"
        + (f"  ({_short_path(t['path'])})" if t["path"] else "")
        for t in data["tasks"][:top]
    ]
    return "\n".join(lines)
