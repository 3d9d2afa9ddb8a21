"""Text for the operator: one progress line per phase, failures, and the summary table."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from hatool.playview.events import Event
from hatool.playview.state import SHORT, Failure, Phase, Run

NAME_WIDTH = 46
TASK_WIDTH = 48


def phase_line(run: Run, phase: Phase, now: float | None = None) -> str:
    """``[  45.0s] Run etcd   3/3 hosts   34.9s  27 changed`` (or the running task)."""
    start = run.started or phase.started
    at = phase.ended if phase.ended is not None else (now or time.time())
    took = at - phase.started
    hosts = f"{phase.done}/{phase.total} hosts" if phase.total else "no hosts"
    head = f"[{at - start:7.1f}s] {phase.name[:NAME_WIDTH]:<{NAME_WIDTH}} {hosts:>11} {took:7.1f}s"
    if phase.ended is None:
        task = (phase.task or "")[:TASK_WIDTH]
        return f"{head}  > {task}" if task else head
    if phase.failed_hosts:
        return f"{head}  FAILED on {', '.join(sorted(phase.failed_hosts))}"
    if phase.total == 0 and not phase.seen:
        return f"{head}  skipped"
    done = f"{phase.changed} changed" if phase.changed else "no change"
    looked = looks(phase)
    return f"{head}  {done}{f'  ({looked})' if looked else ''}"


def looks(phase: Phase) -> str:
    """What each role's first look found: ``as left, skipped``, or why the role ran."""
    said = []
    for role, hosts in phase.looks.items():
        name = f"{SHORT.get(role, role)}: " if len(phase.looks) > 1 else ""
        drifted = {h: r for h, r in sorted(hosts.items()) if r}
        if not drifted:
            said.append(f"{name}as left, {'skipped' if phase.skips else 'run all the same'}")
            continue
        host, reasons = next(iter(drifted.items()))
        more = f" (+{len(drifted) - 1} hosts)" if len(drifted) > 1 else ""
        said.append(f"{name}ran: {host}{more}: {reasons[0]}")
    return "; ".join(said)


def failure_block(failure: Failure) -> str:
    """The failing task, host and message, indented under one headline."""
    where = f"{failure.role}: " if failure.role else ""
    kind = "UNREACHABLE" if failure.unreachable else "FAILED"
    head = f"{kind} {failure.host} in {failure.phase}: {where}{failure.task}"
    path = f"\n    at {failure.path}" if failure.path else ""
    message = "\n".join(f"    {line}" for line in failure.message.splitlines())
    return f"{head}{path}\n{message}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def summary_table(run: Run) -> str:
    """Per host: ok / changed / failed / unreachable / skipped and seconds per phase."""
    counts = run.host_counts()
    hosts = sorted(set(counts) | {h for p in run.phases for h in p.host_seconds})
    phases = [p for p in run.phases if p.seen or p.host_seconds]
    header = ["host", "ok", "changed", "failed", "unreachable", "skipped"] + [
        p.label for p in phases
    ]
    rows = []
    for host in hosts:
        c = counts.get(host, {})
        numbers = [str(c.get(k, 0)) for k in ("ok", "changed", "failed", "unreachable", "skipped")]
        times = [_seconds(p.host_seconds.get(host)) if host in p.seen else "-" for p in phases]
        rows.append([host, *numbers, *times])
    rows.append(["(wall time)", "", "", "", "", ""] + [_seconds(p.seconds) for p in phases])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    return "\n".join([line(header), *(line(r) for r in rows)])


class View:
    """Prints a run as its events arrive.

    On a terminal the running phase's line is rewritten in place (its task and
    clock); elsewhere (a CI log) each phase prints one line when it ends.
    Failures print at once. With ``progress=False`` (``-v``: Ansible's own
    output streams instead) only the end is printed.
    """

    def __init__(
        self, stream: TextIO | None = None, *, tty: bool | None = None, progress: bool = True
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.progress = progress
        self.run = Run()
        self._live = False  # a line without its newline is on the terminal
        self._printed = 0  # phases whose final line is out
        self._failures = 0

    def _write(self, text: str) -> None:
        if self._live:
            self.stream.write("\r\033[K")
            self._live = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def feed(self, events: list[Event]) -> None:
        for event in events:
            self.run.feed(event)
            self._flush_phases()
            if self.progress:
                for failure in self.run.failures[self._failures :]:
                    self._write(failure_block(failure))
            self._failures = len(self.run.failures)
        self.tick()

    def _flush_phases(self) -> None:
        for phase in self.run.phases[self._printed :]:
            if phase.ended is None:
                break
            if self.progress:
                self._write(phase_line(self.run, phase))
            self._printed += 1

    def tick(self, now: float | None = None) -> None:
        """On a terminal: redraw the running phase's line (its clock moves)."""
        phase = self.run.phase
        if not (self.progress and self.tty) or phase is None or phase.ended is not None:
            return
        self.stream.write("\r\033[K" + phase_line(self.run, phase, now))
        self.stream.flush()
        self._live = True

    def close(self) -> None:
        """End the live line (a run cut short leaves its phase open)."""
        phase = self.run.phase
        if phase is not None and phase.ended is None and self.progress:
            self._write(phase_line(self.run, phase) + "  (stopped)")
        elif self._live:
            self.stream.write("\n")
            self._live = False
        self.stream.flush()

    def summary(self) -> str:
        return summary_table(self.run)
