"""Playbook events as JSON lines: written by the callback plugin, read by hatool.

Each line is one object with ``event`` (``playbook``, ``play``, ``task``,
``result``, ``stats``) and ``t`` (seconds since the epoch). ``result`` events
carry ``host``, ``task`` (the task's uuid), ``status`` (``ok``, ``changed``,
``failed``, ``ignored``, ``skipped``, ``unreachable``), ``duration`` and, when
it failed, ``message``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

Event = dict[str, Any]

#: A failure message longer than this is cut (the whole result is in the log).
MESSAGE_LIMIT = 1200
#: Lines of a failed command's stderr/stdout kept in the message.
OUTPUT_LINES = 6


class EventWriter:
    """Appends events to a file, one JSON object per line, each flushed at once."""

    def __init__(self, path: str | Path) -> None:
        self._file: TextIO | None = Path(path).open("a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: Event) -> None:
        if self._file is not None:
            self._file.write(json.dumps(event, default=str) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class EventTail:
    """Reads the complete lines appended to an events file since the last read."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._offset = 0
        self._partial = b""

    def read(self) -> list[Event]:
        try:
            with self.path.open("rb") as file:
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        return [json.loads(line) for line in lines if line.strip()]


def read_events(path: str | Path) -> list[Event]:
    """Every event of a finished run."""
    return list(_lines(Path(path)))


def _lines(path: Path) -> Iterator[Event]:
    with path.open(encoding="utf-8") as file:
        for line in file:
            if line.strip():
                yield json.loads(line)


def _tail(text: object) -> str:
    lines = [line for line in str(text).splitlines() if line.strip()]
    return "\n".join(lines[-OUTPUT_LINES:])


def failure_message(result: Mapping[str, Any]) -> str:
    """What a failed result says: its message, and the end of a command's output.

    ``result`` is the copy Ansible gives callbacks, already censored for
    ``no_log`` tasks (then only Ansible's "output has been hidden" remains).
    """
    if "censored" in result:
        return str(result["censored"])
    parts = [str(result["msg"]).strip()] if result.get("msg") else []
    for item in result.get("results") or []:
        if isinstance(item, Mapping) and item.get("failed"):
            label = item.get("item")
            text = failure_message(item)
            parts.append(f"item {label}: {text}" if label is not None else text)
            break
    for stream in ("stderr", "module_stderr", "stdout"):
        if result.get(stream) and len(parts) < 3:
            parts.append(_tail(result[stream]))
            break
    if not parts and result.get("reason"):
        parts.append(str(result["reason"]))
    text = "\n".join(p for p in parts if p) or "(no message; see the log)"
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + " ..."


def private_file(path: Path) -> Path:
    """Create ``path`` empty, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    return path
