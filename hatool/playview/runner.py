"""Run ansible-playbook with its raw output in a log file and the progress view on the terminal.

The log, the events and the timings of one run sit side by side in the
cluster's folder: ``<inventory dir>/.hatool/<cluster>/logs/<command>-<timestamp>.log``,
``.events.jsonl`` and ``.timings.json``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TextIO

from hatool.ansible import ansible_env
from hatool.errors import CommandFailed
from hatool.playview.events import EventTail, private_file
from hatool.playview.render import View, failure_block, summary_table
from hatool.playview.state import Run
from hatool.playview.timings import breakdown

CALLBACK = "hatool_events"
#: How often the view looks for new events (and redraws its clock on a terminal).
POLL_SECONDS = 0.25
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class RunFiles:
    log: Path
    events: Path
    timings: Path

    @classmethod
    def new(cls, folder: Path, command: str, now: datetime | None = None) -> RunFiles:
        """Files for a run of ``command`` starting now, in ``folder`` (made 0700)."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        base = folder / f"{command}-{stamp}"
        n = 1
        while base.with_suffix(".log").exists():
            n += 1
            base = folder / f"{command}-{stamp}-{n}"
        return cls(
            base.with_suffix(".log"), base.with_suffix(".events.jsonl"),
            base.with_suffix(".timings.json"),
        )  # fmt: skip


@dataclass
class ViewedRun:
    returncode: int
    run: Run
    files: RunFiles
    seconds: float


def callback_env(events: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """What enables the events callback for this run only (added to any the operator enabled)."""
    environ = dict(os.environ) if environ is None else environ
    enabled = [c for c in environ.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c.strip()]
    return {
        "ANSIBLE_CALLBACKS_ENABLED": ",".join([*enabled, CALLBACK]) if CALLBACK not in enabled
        else ",".join(enabled),
        "HATOOL_EVENTS": str(events),
    }  # fmt: skip


def _copy_output(pipe: IO[str], log: TextIO, echo: TextIO | None) -> None:
    for line in pipe:
        log.write(_ANSI.sub("", line))
        log.flush()
        if echo is not None:
            echo.write(line)
            echo.flush()


def run_viewed(
    argv: list[str],
    files: RunFiles,
    *,
    verbose: bool = False,
    stream: TextIO | None = None,
    tty: bool | None = None,
) -> ViewedRun:
    """Run ``argv`` (an ansible-playbook command); show phases; keep the raw output in the log.

    With ``verbose`` Ansible's output streams to ``stream`` as it comes (and
    to the log), and the view prints only the summary and failures at the end.
    """
    out = stream if stream is not None else sys.stdout
    color = "1" if verbose and out.isatty() else "0"
    private_file(files.events)
    env = ansible_env({**callback_env(files.events), "ANSIBLE_FORCE_COLOR": color})
    view = View(out, tty=tty, progress=not verbose)
    began = time.monotonic()
    with private_file(files.log).open("w", encoding="utf-8") as log:
        log.write(f"+ {shlex.join(argv)}\n")
        log.flush()
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace",
        )  # fmt: skip
        if process.stdout is None:  # pragma: no cover - stdout=PIPE always gives one
            raise RuntimeError("ansible-playbook's output pipe is missing")
        copier = threading.Thread(
            target=_copy_output, args=(process.stdout, log, out if verbose else None), daemon=True
        )
        copier.start()
        tail = EventTail(files.events)
        try:
            while process.poll() is None:
                view.feed(tail.read())
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            process.wait(timeout=30)
            raise
        finally:
            copier.join(timeout=30)
            view.feed(tail.read())
            view.close()
    seconds = time.monotonic() - began
    private_file(files.timings).write_text(
        json.dumps(breakdown(view.run), indent=2) + "\n", encoding="utf-8"
    )
    return ViewedRun(process.returncode, view.run, files, seconds)


def ending(result: ViewedRun) -> str:
    """What to print after a run: the summary table, the failures again, and the files."""
    blocks = [summary_table(result.run)] if result.run.phases else []
    blocks += [failure_block(f) for f in result.run.failures]
    files = f"Ansible's output: {result.files.log}\ntimings: {result.files.timings}"
    return "\n\n".join([*blocks, files])


def run_and_show(
    argv: list[str], cluster_dir: str | Path, command: str, what: str, *, verbose: bool = False
) -> ViewedRun:
    """What a hatool command that runs a playbook does: say where the log goes, show the run,
    print the summary; :class:`CommandFailed` with ansible-playbook's exit code if it failed."""
    files = RunFiles.new(Path(cluster_dir) / "logs", command)
    print(f"{what}; Ansible's output goes to {files.log}", flush=True)
    result = run_viewed(argv, files, verbose=verbose)
    print("\n" + ending(result), flush=True)
    if result.returncode != 0:
        raise CommandFailed(argv, result.returncode)
    return result
