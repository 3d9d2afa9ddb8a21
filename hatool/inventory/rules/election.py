"""Rules on leader election: each component's three timings, and its restart delay."""

from __future__ import annotations

import math

from hatool.cluster.model import JITTER_FACTOR
from hatool.cluster.resolve import election_values, timing_variable
from hatool.inventory.contract import ELECTED, TIMINGS
from hatool.inventory.durations import format_seconds, parse_duration
from hatool.inventory.findings import ERROR, Findings, declare
from hatool.inventory.model import Model


def _seconds(out: Findings, variable: str, binary: str, value: object) -> float | None:
    """A positive duration in seconds, or a ``duration-invalid`` finding."""
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        out.add("duration-invalid", ERROR, f"{variable} for {binary}: {exc}", variable=variable)
        return None
    if seconds <= 0:
        message = f"{variable} for {binary} is {value}; it must be positive"
        out.add("duration-invalid", ERROR, message, variable=variable)
        return None
    return seconds


@declare(
    ("duration-invalid", ERROR, "each leader-election timing and restart delay is a Go duration"),
    (
        "leader-election-timing",
        ERROR,
        "lease duration > renew deadline > 1.2 x retry period (client-go's run-time rule), "
        "per component",
    ),
    (
        "restart-delay",
        ERROR,
        "a component's restart delay > 2 x 1.2 x its retry period, so a standby, not the "
        "restarted process, takes a dead leader's Lease",
    ),
)
def leader_election(model: Model, out: Findings) -> None:
    for binary, role in ELECTED.items():
        seconds: dict[str, float] = {}
        for timing, (variable, value) in election_values(model, role).items():
            parsed = _seconds(out, variable, binary, value)
            if parsed is not None:
                seconds[timing] = parsed
        if len(seconds) < len(TIMINGS):
            continue
        lease, renew, retry = (seconds[t] for t in TIMINGS)
        shown = (
            f"lease duration {format_seconds(lease)}, renew deadline {format_seconds(renew)}, "
            f"retry period {format_seconds(retry)}"
        )
        if not lease > renew:
            out.add(
                "leader-election-timing",
                ERROR,
                f"{binary}: {shown}: lease duration {format_seconds(lease)} must be greater "
                f"than renew deadline {format_seconds(renew)} (client-go refuses to start)",
                variable=timing_variable(model, role, "lease_duration"),
            )
        if not renew > JITTER_FACTOR * retry:
            out.add(
                "leader-election-timing",
                ERROR,
                f"{binary}: {shown}: renew deadline {format_seconds(renew)} must be greater "
                f"than {JITTER_FACTOR} x retry period = {format_seconds(JITTER_FACTOR * retry)} "
                "(client-go refuses to start)",
                variable=timing_variable(model, role, "renew_deadline"),
            )
        _restart_delay(model, out, binary, role, retry)


#: Other settings that are Go durations.
DURATIONS = ("kube_apiserver_shutdown_delay", "kube_apiserver_shutdown_watch_grace")


@declare()
def durations(model: Model, out: Findings) -> None:
    for variable in DURATIONS:
        _seconds(out, variable, "kube-apiserver", model.value(variable))


def _restart_delay(model: Model, out: Findings, binary: str, role: str, retry: float) -> None:
    variable = f"{role}_restart_delay"
    delay = _seconds(out, variable, binary, model.value(variable))
    latest = 2 * JITTER_FACTOR * retry
    if delay is not None and not delay > latest:
        out.add(
            "restart-delay",
            ERROR,
            f"{variable} is {format_seconds(delay)}, but it must be longer than 2 x "
            f"{JITTER_FACTOR} x the retry period = {format_seconds(latest)}: a crashed leader "
            "restarted sooner can take its own Lease back before a standby sees it expire; "
            f"use at least {math.floor(latest) + 1}s",
            variable=variable,
        )
