"""The PNG plots of ``report.md``, drawn with matplotlib.

Matplotlib is imported only when a plot is drawn, so that ``hatool --help`` stays fast:

- ``takeovers.png``: each takeover (a Lease, the etcd leader, the virtual IP)
  as points against its theoretical window or bound;
- ``timeline-<n>.png``: the request timeline of each drill row that ran a
  request stream: successes, failures, the longest gap and the gap allowed;
- ``phases.png``: time per phase of the cold deploy, the no-change re-run and
  the ``--check`` run;
- ``masters.png``: the same phases with 3 and with 5 masters.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hatool.bench.drills import Takeover, gap_allowed, longest_gap
from hatool.bench.figures import DEPLOY_KINDS, deploy_runs, deploy_seconds, median_phases
from hatool.bench.ratios import quotient


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
    allowed = gap_allowed(row)
    top = max((taken for _, taken, _ in timeline), default=1.0)
    if allowed is not None:
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
        ratio = quotient(deploy_seconds(results, five), deploy_seconds(results, three))
        ax.set_title(f"{title}: 5 / 3 masters = {ratio:.2f}" if ratio else title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
