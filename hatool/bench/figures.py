"""Figures read out of a benchmark's ``results.json``: medians of the successful runs."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

#: Other time of a deploy: the command's start, its own validation, ansible-playbook's start.
STARTUP = "start-up"
DEPLOY_KINDS = {
    "cold": "cold deploy",
    "rerun": "no-change re-run",
    "check": "--check run",
    "cold5": "cold deploy, 5 masters",
    "rerun5": "no-change re-run, 5 masters",
}


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def deploy_runs(results: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The successful runs of one kind of deploy."""
    runs = results.get("deploys", {}).get(kind, [])
    return [r for r in runs if r.get("returncode") == 0]


def deploy_seconds(results: dict[str, Any], kind: str) -> float | None:
    return _median([float(r["seconds"]) for r in deploy_runs(results, kind)])


def phase_seconds(run: dict[str, Any]) -> dict[str, float]:
    """Seconds per phase of one deploy, and its start-up (the rest of its wall time)."""
    timings = run.get("timings") or {}
    phases: dict[str, float] = {}
    for phase in timings.get("phases", []):
        phases[phase["label"]] = phases.get(phase["label"], 0.0) + float(phase["seconds"])
    rest = float(run["seconds"]) - sum(phases.values())
    return {STARTUP: max(rest, 0.0), **phases}


def median_phases(results: dict[str, Any], kind: str) -> dict[str, float]:
    """Per phase, the median over the successful runs of ``kind``."""
    runs = [phase_seconds(r) for r in deploy_runs(results, kind)]
    labels = list(dict.fromkeys(label for run in runs for label in run))
    return {label: statistics.median([run.get(label, 0.0) for run in runs]) for label in labels}


def floor_seconds(results: dict[str, Any], key: str = "floor") -> float | None:
    """The median floor of the 3-master lab (``floor``) or of the 5-master one (``floor5``)."""
    return _median([float(f["seconds"]) for f in results.get(key, []) if f.get("ok")])


def validate_seconds(
    results: dict[str, Any], size: int, tool: str, what: str = "wall"
) -> float | None:
    entry = results.get("validate", {}).get(str(size), {}).get(tool)
    return float(entry[what]) if entry and entry.get(what) is not None else None


def startup_seconds(results: dict[str, Any], command: str) -> float | None:
    entry = results.get("startup", {}).get(command)
    return float(entry["wall"]) if entry and entry.get("wall") is not None else None


#: the parts of a deploy's CPU seconds, as :func:`cpu_seconds` names them
CPU_PARTS = ("controller", "services", "tasks_on_hosts", "total")


def cpu_seconds(results: dict[str, Any], kind: str) -> dict[str, float] | None:
    """Median CPU seconds of one kind of deploy: the controller (``hatool deploy`` and every
    process it started), the services on the lab's hosts, the rest of the hosts' work (the
    tasks: modules, downloads, unpacking), and their total; None when not measured."""
    parts: dict[str, list[float]] = {part: [] for part in CPU_PARTS}
    for run in deploy_runs(results, kind):
        hosts = run.get("hosts_cpu") or {}
        if hosts.get("tasks_on_hosts") is None or run.get("cpu") is None:
            continue
        measured = {
            "controller": float(run["cpu"]),
            "services": float(hosts["services"]),
            "tasks_on_hosts": float(hosts["tasks_on_hosts"]),
        }
        measured["total"] = sum(measured.values())
        for part, value in measured.items():
            parts[part].append(value)
    if not parts["total"]:
        return None
    return {part: statistics.median(values) for part, values in parts.items()}


def waited_seconds(results: dict[str, Any], kind: str) -> float | None:
    """Median seconds, over one kind of deploy, during which some task waited for a core."""
    runs = deploy_runs(results, kind)
    found = [float(r["cpu_waited"]) for r in runs if r.get("cpu_waited") is not None]
    return statistics.median(found) if found else None
