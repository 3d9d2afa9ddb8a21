"""``report.md`` and its PNG plots, from a benchmark's ``results.json``.

Plots (matplotlib, imported here only, so that ``hatool --help`` stays fast):

- ``takeovers.png``: each takeover (a Lease, the etcd leader, the virtual IP)
  as points against its theoretical window or bound;
- ``timeline-<n>.png``: the request timeline of each drill row that ran a
  request stream: successes, failures, the longest gap and the gap allowed;
- ``phases.png``: time per phase of the cold deploy, the no-change re-run and
  the ``--check`` run;
- ``masters.png``: the same phases with 3 and with 5 masters.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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
_BOUND = re.compile(r"expected (?:at most |a gap of at most )?([\d.]+)s(?: to ([\d.]+)s)?")
_SLACK = re.compile(r"\+([\d.]+)s slack")
_GAP_BOUND = re.compile(r"gap of (?:at most )?([\d.]+)s")


# -- figures out of results.json ---------------------------------------------------------


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


def floor_seconds(results: dict[str, Any]) -> float | None:
    return _median([float(f["seconds"]) for f in results.get("floor", []) if f.get("ok")])


def validate_seconds(
    results: dict[str, Any], size: int, tool: str, what: str = "wall"
) -> float | None:
    entry = results.get("validate", {}).get(str(size), {}).get(tool)
    return float(entry[what]) if entry and entry.get(what) is not None else None


def startup_seconds(results: dict[str, Any], command: str) -> float | None:
    entry = results.get("startup", {}).get(command)
    return float(entry["wall"]) if entry and entry.get("wall") is not None else None


@dataclass(frozen=True)
class Ratio:
    name: str
    value: float | None
    target: str
    met: bool | None
    today: str
    detail: str = ""

    @property
    def verdict(self) -> str:
        if self.target == "(none)":
            return "-"
        return {True: "yes", False: "no", None: "not measured"}[self.met]

    def cells(self) -> list[str]:
        value = "n/a" if self.value is None else f"{self.value:.2f}"
        met = "**no**" if self.met is False else self.verdict
        return [self.name, value, self.target, self.today, met, self.detail]


def _cpu(results: dict[str, Any], command: str) -> str:
    entry = results.get("startup", {}).get(command)
    return f"CPU {entry['cpu']:.3f}s" if entry and entry.get("cpu") is not None else ""


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _at_most(value: float | None, bound: float) -> bool | None:
    return None if value is None else value <= bound


def ratios(results: dict[str, Any]) -> list[Ratio]:
    """Every ratio issue 13 asks for, with its target and the figure before the work."""
    cold, rerun = deploy_seconds(results, "cold"), deploy_seconds(results, "rerun")
    cold5, floor = deploy_seconds(results, "cold5"), floor_seconds(results)
    v1000, inv1000 = (
        validate_seconds(results, 1000, "hatool"),
        validate_seconds(results, 1000, "ansible_inventory"),
    )
    v10 = validate_seconds(results, 10, "hatool")
    c1000, cinv = (
        validate_seconds(results, 1000, "hatool", "cpu"),
        validate_seconds(results, 1000, "ansible_inventory", "cpu"),
    )
    help_all = startup_seconds(results, "hatool --help")
    help_validate = startup_seconds(results, "hatool validate --help")

    def secs(a: float | None, b: float | None) -> str:
        return f"{a:.1f}s / {b:.1f}s" if a is not None and b is not None else ""

    found = [
        Ratio(
            "no-change re-run / cold deploy",
            r := _div(rerun, cold),
            "<= 0.25",
            _at_most(r, 0.25),
            "0.71",
            secs(rerun, cold),
        ),
        Ratio(
            "cold deploy / floor",
            r := _div(cold, floor),
            "<= 3",
            _at_most(r, 3.0),
            "5.2",
            secs(cold, floor),
        ),
        Ratio(
            "5-master cold / 3-master cold",
            r := _div(cold5, cold),
            "<= 1.3",
            _at_most(r, 1.3),
            "1.71",
            secs(cold5, cold),
        ),
        Ratio(
            "validate 1,000 hosts / ansible-inventory --list",
            r := _div(v1000, inv1000),
            "<= 1.1",
            _at_most(r, 1.1),
            "1.35",
            secs(v1000, inv1000) + (f"; CPU {c1000 / cinv:.2f}" if c1000 and cinv else ""),
        ),
        Ratio(
            "validate 1,000 hosts / 10 hosts",
            r := _div(v1000, v10),
            "<= 20",
            _at_most(r, 20.0),
            "",
            secs(v1000, v10),
        ),
        Ratio(
            "hatool --help (s)",
            help_all,
            "< 0.3",
            None if help_all is None else help_all < 0.3,
            "1.45",
            _cpu(results, "hatool --help"),
        ),
        Ratio(
            "hatool validate --help (s)",
            help_validate,
            "< 0.3",
            None if help_validate is None else help_validate < 0.3,
            "",
            _cpu(results, "hatool validate --help"),
        ),
    ]
    check = deploy_seconds(results, "check")
    if check is not None and cold:
        found.append(
            Ratio("--check run / cold deploy", check / cold, "(none)", None, "", secs(check, cold))
        )
    return found


# -- drills --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Takeover:
    """One measured takeover beside its window: ``low`` (0 when there is only a bound)..``high``."""

    label: str
    seconds: float
    low: float
    high: float
    slack: float
    ok: bool


def _bound_of(row: dict[str, Any]) -> tuple[float, float] | None:
    data = row.get("data") or {}
    if isinstance(data.get("window_seconds"), list):
        low, high = data["window_seconds"]
        return float(low), float(high)
    if data.get("bound_seconds") is not None:
        return 0.0, float(data["bound_seconds"])
    found = _BOUND.search(str(row.get("detail", "")))
    if found:
        if found.group(2):
            return float(found.group(1)), float(found.group(2))
        return 0.0, float(found.group(1))
    return None


def _slack(row: dict[str, Any]) -> float:
    data = row.get("data") or {}
    if data.get("slack_seconds") is not None:
        return float(data["slack_seconds"])
    written = _SLACK.search(str(row.get("detail", "")))
    return float(written.group(1)) if written else 0.0


def _takeover_label(row: dict[str, Any]) -> str | None:
    data, name = row.get("data") or {}, str(row.get("name", ""))
    if "takeover_seconds" in data:
        return f"{data.get('component')}: {data.get('signal')} of the leader"
    if "leaderless_seconds" in data:
        return f"{data.get('component')}: planned restart of the leader"
    if "moves to another master" in name:
        lease = name.rsplit(": ", 1)[-1].split(" moves", 1)[0]
        return f"{lease}: whole master lost"
    if "new etcd leader" in name:
        return "etcd: new leader"
    if name.endswith("the virtual IP moves") and data.get("how"):
        return f"virtual IP: {data['how']}"
    return None


def takeovers(reports: Sequence[dict[str, Any]]) -> list[Takeover]:
    """Every takeover in the drill reports that has a bound to compare with."""
    found = []
    for report in reports:
        for row in report.get("checks", []):
            data = row.get("data") or {}
            label = _takeover_label(row)
            value = next(
                (
                    data[k]
                    for k in ("takeover_seconds", "leaderless_seconds", "seconds")
                    if isinstance(data.get(k), int | float)
                ),
                None,
            )
            bound = _bound_of(row)
            if label is None or value is None or bound is None:
                continue
            found.append(
                Takeover(
                    label,
                    float(value),
                    bound[0],
                    bound[1],
                    _slack(row),
                    bool(row.get("ok")),
                )
            )
    return found


def stream_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The drill rows that carry a request timeline."""
    return [r for r in report.get("checks", []) if (r.get("data") or {}).get("timeline")]


def longest_gap(timeline: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(start, end) of the longest time between two successful answers."""
    answers = sorted(t + taken for t, taken, ok in timeline if ok)
    best = (0.0, 0.0)
    for before, after in itertools.pairwise(answers):
        if after - before > best[1] - best[0]:
            best = (before, after)
    return best


# -- plots ---------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib  # noqa: PLC0415 - only the report needs it, and it is slow to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "font.size": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.axisbelow": True,
        }
    )
    return plt


def plot_takeovers(found: Sequence[Takeover], path: Path) -> Path | None:
    if not found:
        return None
    plt = _pyplot()
    labels = list(dict.fromkeys(t.label for t in found))
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(labels) + 1.6))
    for y, label in enumerate(labels):
        points = [t for t in found if t.label == label]
        first = points[0]
        ax.barh(
            y,
            first.high - first.low,
            left=first.low,
            height=0.6,
            color="#cfe8cf",
            edgecolor="#4a9a4a",
            label="expected window" if y == 0 else None,
        )
        if first.slack:
            ax.barh(
                y,
                first.slack,
                left=first.high,
                height=0.6,
                color="#f3ead0",
                edgecolor="#c9a640",
                label="slack" if y == 0 else None,
            )
        ax.annotate(
            f"bound {first.high:g}s",
            (first.high + first.slack, y),
            xytext=(4, 8),
            textcoords="offset points",
            fontsize=7,
            color="#2d6a2d",
        )
        for n, t in enumerate(points):
            ax.plot(
                t.seconds,
                y,
                "o" if t.ok else "X",
                color="#1f5fbf" if t.ok else "#c62828",
                markersize=7,
                zorder=3,
            )
            ax.annotate(
                f"{t.seconds:.2f}s",
                (t.seconds, y),
                xytext=(0, -13 if n % 2 == 0 else 7),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    ax.plot([], [], "o", color="#1f5fbf", label="measured (within bound)")
    ax.plot([], [], "X", color="#c62828", label="measured (outside bound)")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.7)
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds until another member leads (or the address moved)")
    ax.set_title("Takeover times against their theoretical windows")
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.3 / len(labels)), ncol=4, fontsize=7
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_timeline(row: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    data = row["data"]
    timeline = data["timeline"]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ok = [(t, taken) for t, taken, good in timeline if good]
    bad = [(t, taken) for t, taken, good in timeline if not good]
    if ok:
        ax.plot(
            *zip(*ok, strict=True),
            ".",
            color="#2e7d32",
            markersize=3,
            label=f"answered ({len(ok)})",
        )
    if bad:
        ax.plot(
            *zip(*bad, strict=True),
            "x",
            color="#c62828",
            markersize=6,
            label=f"failed ({len(bad)})",
        )
    start, end = longest_gap(timeline)
    gap = data.get("longest_gap_seconds", end - start)
    ax.axvspan(start, end, color="#ffb74d", alpha=0.35, label=f"longest gap {gap:.2f}s")
    bound = _GAP_BOUND.search(str(row.get("detail", "")))
    top = max((taken for _, taken, _ in timeline), default=1.0)
    if bound:
        allowed = float(bound.group(1))
        ax.plot(
            [start, start + allowed],
            [top * 1.12] * 2,
            "-",
            color="#6a1b9a",
            linewidth=3,
            label=f"gap allowed {allowed:g}s",
        )
    if end > start:
        ax.annotate(f"{gap:.2f}s without an answer", ((start + end) / 2, top * 0.6),
                    ha="center", fontsize=8, color="#a65c00")  # fmt: skip
    ax.set_ylim(0, top * 1.25 + 0.05)
    ax.set_xlabel("seconds since the request stream started")
    ax.set_ylabel("seconds a request took")
    name = str(row.get("name", ""))
    ax.set_title(
        (name if len(name) < 95 else name[:92] + "...")
        + f"\n{data.get('failures', len(bad))} of {data.get('requests', len(timeline))} failed,"
        f" longest gap {gap:.2f}s",
        fontsize=9,
    )
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _grouped_bars(
    ax: Any, series: dict[str, dict[str, float]], colors: Sequence[str], xlabel: str
) -> None:
    labels = list(dict.fromkeys(label for values in series.values() for label in values))
    height = 0.8 / max(len(series), 1)
    for n, ((name, values), color) in enumerate(zip(series.items(), colors, strict=False)):
        ys = [i + n * height for i in range(len(labels))]
        xs = [values.get(label, 0.0) for label in labels]
        total = sum(values.values())
        ax.barh(ys, xs, height=height, color=color, label=f"{name}: {total:.1f}s in all")
        for y, x in zip(ys, xs, strict=True):
            ax.annotate(
                f"{x:.1f}s",
                (x, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
    ax.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(labels))], labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower right", fontsize=7)
    ax.margins(x=0.12)


def plot_phases(results: dict[str, Any], path: Path) -> Path | None:
    series = {DEPLOY_KINDS[k]: median_phases(results, k) for k in ("cold", "rerun", "check")}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    _grouped_bars(ax, series, ["#1565c0", "#f9a825", "#8e8e8e"], "seconds (median of the runs)")
    ax.set_title("Time per phase, 3 masters: cold deploy, no-change re-run, --check")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_masters(results: dict[str, Any], path: Path) -> Path | None:
    pairs = [("cold deploy", "cold", "cold5"), ("no-change re-run", "rerun", "rerun5")]
    pairs = [p for p in pairs if deploy_runs(results, p[2])]
    if not pairs:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(pairs), figsize=(5 * len(pairs), 4.2), squeeze=False)
    for ax, (title, three, five) in zip(axes[0], pairs, strict=True):
        series = {
            "3 masters": median_phases(results, three),
            "5 masters": median_phases(results, five),
        }
        _grouped_bars(ax, series, ["#1565c0", "#6a1b9a"], "seconds")
        ratio = _div(deploy_seconds(results, five), deploy_seconds(results, three))
        ax.set_title(f"{title}: 5 / 3 masters = {ratio:.2f}" if ratio else title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# -- report.md -----------------------------------------------------------------------------


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
    floors = [float(f["seconds"]) for f in results.get("floor", []) if f.get("ok")]
    if floors:
        rows.append(
            [
                "floor (stop everything, start in parallel, /readyz ok, Leases renewed)",
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
