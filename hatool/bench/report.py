"""``report.md`` from a benchmark's ``results.json``: the ratios, the figures, the time per
phase, where the time goes, the drills, and the plots (:mod:`~hatool.bench.plots`) it shows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hatool.bench.drills import stream_rows, takeovers
from hatool.bench.figures import (
    DEPLOY_KINDS,
    cpu_seconds,
    deploy_runs,
    deploy_seconds,
    median_phases,
    waited_seconds,
)
from hatool.bench.plots import plot_masters, plot_phases, plot_takeovers, plot_timeline
from hatool.bench.ratios import ratios


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _s(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}s"


def _spread(runs: Sequence[float]) -> str:
    if len(runs) < 2:
        return ""
    return f"{min(runs):.1f}-{max(runs):.1f}s over {len(runs)} runs"


def _figures(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for kind, name in DEPLOY_KINDS.items():
        runs = [float(r["seconds"]) for r in deploy_runs(results, kind)]
        if runs:
            rows.append([name, _s(statistics.median(runs)), _spread(runs)])
    for key, masters in (("floor", ""), ("floor5", ", 5 masters")):
        floors = [float(f["seconds"]) for f in results.get(key, []) if f.get("ok")]
        if floors:
            rows.append(
                [
                    f"floor{masters} (stop everything, start in parallel, /readyz ok, "
                    "Leases renewed)",
                    _s(statistics.median(floors)),
                    _spread(floors),
                ]
            )
    for size, tools in results.get("validate", {}).items():
        for tool, label in (
            ("hatool", "hatool validate"),
            ("ansible_inventory", "ansible-inventory --list"),
        ):
            entry = tools.get(tool) or {}
            if entry.get("wall") is not None:
                rows.append(
                    [
                        f"{label}, {int(size):,} hosts",
                        _s(entry["wall"], 2),
                        f"CPU {entry['cpu']:.2f}s; wall {entry['wall_min']:.2f}-"
                        f"{entry['wall_max']:.2f}s over {entry['runs']} runs",
                    ]
                )
    for command, entry in results.get("startup_under_load", {}).items():
        rows.append([f"{command} (during the labs' work)", _s(entry["wall"], 3),
                     f"CPU {entry['cpu']:.3f}s over {entry['runs']} runs"])  # fmt: skip
    for command, entry in results.get("startup", {}).items():
        rows.append(
            [command, _s(entry["wall"], 3), f"CPU {entry['cpu']:.3f}s over {entry['runs']} runs"]
        )
    return rows


def _phase_table(results: dict[str, Any]) -> str:
    kinds = [k for k in DEPLOY_KINDS if deploy_runs(results, k)]
    columns = {k: median_phases(results, k) for k in kinds}
    labels = list(dict.fromkeys(label for v in columns.values() for label in v))
    rows = [[label, *(_s(columns[k].get(label)) for k in kinds)] for label in labels]
    rows.append(["**total**", *(_s(deploy_seconds(results, k)) for k in kinds)])
    return _table(["phase", *(DEPLOY_KINDS[k] for k in kinds)], rows)


def _cpu_table(results: dict[str, Any]) -> str | None:
    """CPU seconds per kind of deploy, by part, and how busy that kept the machine's cores."""
    cores = results["machine"].get("cores") or 1
    rows = []
    for kind, name in DEPLOY_KINDS.items():
        found, wall = cpu_seconds(results, kind), deploy_seconds(results, kind)
        if found is None or not wall:
            continue
        stalled = waited_seconds(results, kind)
        rows.append(
            [
                name,
                _s(wall),
                _s(found["controller"]),
                _s(found["services"]),
                _s(found["tasks_on_hosts"]),
                _s(found["total"]),
                f"{found['total'] / (wall * cores):.0%}",
                "" if stalled is None else f"{stalled / wall:.0%}",
            ]
        )
    if not rows:
        return None
    header = ["deploy", "wall", "controller", "services on hosts", "tasks on hosts", "total",
              f"of {cores} cores x wall", "a task waited for a core"]  # fmt: skip
    return _table(header, rows)


def _breakdown(results: dict[str, Any], kind: str, top: int = 12) -> str:
    runs = deploy_runs(results, kind)
    timings = (runs[0].get("timings") or {}) if runs else {}
    if not timings:
        return "(no timings)"
    roles = _table(
        ["role", "seconds", "tasks"],
        [[r["role"], _s(r["seconds"]), str(r["tasks"])] for r in timings["roles"]],
    )
    tasks = _table(
        ["seconds", "role", "task", "slowest host"],
        [
            [_s(t["seconds"]), t["role"], t["name"], _s(t.get("slowest_host_seconds"))]
            for t in timings["tasks"][:top]
        ],
    )
    return f"{roles}\n\nSlowest {top} tasks:\n\n{tasks}"


def _drill_table(reports: Sequence[dict[str, Any]]) -> str:
    rows = []
    for n, report in enumerate(reports, start=1):
        for row in report.get("checks", []):
            if row.get("area") == "drill":
                rows.append(
                    [
                        str(n),
                        "ok" if row.get("ok") else "**FAIL**",
                        row.get("name", ""),
                        str(row.get("detail", ""))[:160],
                    ]
                )
    return _table(["run", "", "drill", "measured / expected"], rows) if rows else "(no drills)"


def write_report(results: dict[str, Any], out: Path) -> Path:
    """Write ``out/report.md`` and its plots; the path of the report."""
    out.mkdir(parents=True, exist_ok=True)
    reports = results.get("drills", [])
    plots: dict[str, Path | None] = {
        "phases": plot_phases(results, out / "phases.png"),
        "masters": plot_masters(results, out / "masters.png"),
        "takeovers": plot_takeovers(takeovers(reports), out / "takeovers.png"),
    }
    timelines: list[Path] = []
    for n, report in enumerate(reports, start=1):
        for m, row in enumerate(stream_rows(report), start=1):
            timelines.append(plot_timeline(row, out / f"timeline-{n}-{m}.png"))
    machine, versions, options = results["machine"], results["versions"], results["options"]
    load = "/".join(str(x) for x in machine.get("load_average", []))
    load_end = "/".join(str(x) for x in machine.get("load_average_end", []))
    text = [
        "# hatool benchmark",
        "",
        f"- date: {results['date']}",
        f"- machine: {machine['cores']} cores, {machine['memory_gib']} GiB memory, "
        f"{machine['kernel']} {machine['arch']}; load average (1/5/15 min) {load} at the start"
        + (f", {load_end} at the end" if load_end else ""),
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- runs: {options['runs']} (drills: {'yes' if options['drills'] else 'no'}"
        f"{', quick: no floor, no 5-master lab' if options['quick'] else ''}); "
        f"labs: stacked etcd, {options.get('lbs', 1)} load balancer(s)",
        "",
        "Figures from a shared machine are noisy: other work ran beside this benchmark "
        "(see the load average). Quote ratios within one run, not absolute times; CPU "
        "seconds of the short commands vary less than their wall time.",
        "",
        "Reproduce: `hatool bench --out DIR` (`--quick --no-drills` for a short run).",
        "",
        *(f"Note: {note}.\n" for note in results.get("notes", [])),
        "## Ratios (issue 13)",
        "",
        _table(
            ["ratio", "measured", "target", "before", "met", "from"],
            [r.cells() for r in ratios(results)],
        ),
        "",
        "## Figures",
        "",
        _table(["what", "median", "spread"], _figures(results)),
        "",
        "## Time per phase",
        "",
        "`start-up` is the command's own start, its validation and ansible-playbook's start "
        "before the first play.",
        "",
        _phase_table(results),
        "",
    ]
    text += [
        f"![{name}]({path.name})\n"
        for name, path in plots.items()
        if path is not None and name in ("phases", "masters")
    ]
    cpu = _cpu_table(results)
    if cpu is not None:
        text += [
            "## Where the CPU goes",
            "",
            "CPU seconds from the kernel's accounting (medians): the controller is "
            "`hatool deploy` and every process it started (ansible-playbook, its forked "
            "workers, ssh); services are the main processes of etcd, the Kubernetes "
            "components and the load balancer on the lab's hosts; tasks on hosts are the rest "
            "of the hosts' containers (modules, downloads, unpacking, systemd). A deploy that "
            "keeps the cores busy most of its wall time is bound by CPU: more masters then "
            "cost in proportion to the work they add. The last column is the kernel's "
            "pressure stall figure (`/proc/pressure/cpu`, `some`): the share of the wall time "
            "during which at least one runnable task waited for a core, i.e. more cores would "
            "have made the run faster.",
            "",
            cpu,
            "",
        ]
    text += [
        "## Where the time goes: cold deploy",
        "",
        _breakdown(results, "cold"),
        "",
        "## Where the time goes: no-change re-run",
        "",
        _breakdown(results, "rerun"),
        "",
    ]
    text += ["## Drills", "", _drill_table(reports), ""]
    if plots["takeovers"] is not None:
        text += ["![takeovers](takeovers.png)", ""]
    text += [f"![{path.stem}]({path.name})\n" for path in timelines]
    if results.get("errors"):
        text += ["## Errors", "", *(f"- {e}" for e in results["errors"]), ""]
    report = out / "report.md"
    report.write_text("\n".join(text), encoding="utf-8")
    return report
