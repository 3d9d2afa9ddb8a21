"""Takeovers and request timelines, read out of the drill reports in ``results.json``."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_BOUND = re.compile(r"expected (?:at most |a gap of at most )?([\d.]+)s(?: to ([\d.]+)s)?")
_SLACK = re.compile(r"\+([\d.]+)s slack")
_GAP_BOUND = re.compile(r"gap of (?:at most )?([\d.]+)s")


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


def gap_allowed(row: dict[str, Any]) -> float | None:
    """The longest gap between answers a drill row allows, read from its detail."""
    bound = _GAP_BOUND.search(str(row.get("detail", "")))
    return float(bound.group(1)) if bound else None
