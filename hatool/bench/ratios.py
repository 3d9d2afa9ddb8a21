"""The ratios issue 13 asks for, each with its target and the figure before the work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hatool.bench.figures import (
    cpu_seconds,
    deploy_runs,
    deploy_seconds,
    floor_seconds,
    startup_seconds,
    validate_seconds,
)


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


def quotient(a: float | None, b: float | None) -> float | None:
    """``a / b``, or None when either is not measured (or ``b`` is 0)."""
    return a / b if a is not None and b else None


def _at_most(value: float | None, bound: float) -> bool | None:
    return None if value is None else value <= bound


def _cpu_ratio(results: dict[str, Any]) -> Ratio:
    """The CPU seconds the 5-master cold deploy needs against the 3-master one, by part."""
    three, five = cpu_seconds(results, "cold"), cpu_seconds(results, "cold5")
    detail = ""
    if three and five:
        detail = (
            f"{five['total']:.0f} / {three['total']:.0f} CPU-s: controller "
            f"{five['controller']:.0f} / {three['controller']:.0f}, services "
            f"{five['services']:.0f} / {three['services']:.0f}, tasks on hosts "
            f"{five['tasks_on_hosts']:.0f} / {three['tasks_on_hosts']:.0f}"
        )
    return Ratio(
        "5-master cold / 3-master cold, CPU seconds",
        quotient(five["total"] if five else None, three["total"] if three else None),
        "(none)",
        None,
        "",
        detail,
    )


def _bracket(results: dict[str, Any]) -> str:
    """The 3-master cold deploys whose median the 5-master one is compared with, in order."""
    runs = deploy_runs(results, "cold")
    if len(runs) < 2:
        return ""
    return " (3 masters before and after: " + ", ".join(f"{r['seconds']:.1f}s" for r in runs) + ")"


def ratios(results: dict[str, Any]) -> list[Ratio]:
    """Every ratio issue 13 asks for, with its target and the figure before the work."""
    cold, rerun = deploy_seconds(results, "cold"), deploy_seconds(results, "rerun")
    cold5, floor = deploy_seconds(results, "cold5"), floor_seconds(results)
    floor5 = floor_seconds(results, "floor5")
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
            r := quotient(rerun, cold),
            "<= 0.25",
            _at_most(r, 0.25),
            "0.71",
            secs(rerun, cold),
        ),
        Ratio(
            "cold deploy / floor",
            r := quotient(cold, floor),
            "<= 3",
            _at_most(r, 3.0),
            "5.2",
            secs(cold, floor),
        ),
        Ratio(
            "5-master cold / 3-master cold",
            r := quotient(cold5, cold),
            "<= 1.3",
            _at_most(r, 1.3),
            "1.71",
            secs(cold5, cold) + _bracket(results),
        ),
        _cpu_ratio(results),
        Ratio(
            "5-master floor / 3-master floor",
            quotient(floor5, floor),
            "(none)",
            None,
            "",
            secs(floor5, floor) + " (the services' own work, which the deploy ratio includes)",
        ),
        Ratio(
            "validate 1,000 hosts / ansible-inventory --list",
            r := quotient(v1000, inv1000),
            "<= 1.1",
            _at_most(r, 1.1),
            "1.35",
            secs(v1000, inv1000) + (f"; CPU {c1000 / cinv:.2f}" if c1000 and cinv else ""),
        ),
        Ratio(
            "validate 1,000 hosts / 10 hosts",
            r := quotient(v1000, v10),
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
