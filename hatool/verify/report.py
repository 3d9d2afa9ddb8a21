"""The verify report: rows printed as they are measured, a summary, and JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from hatool.verify.checks import Check

WIDTHS = (4, 9, 52)


class Report:
    """Collects checks and prints each as a table row the moment it is known."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.checks: list[Check] = []
        self._stream = stream if stream is not None else sys.stdout
        self._header = False

    def _line(self, *cells: str) -> None:
        padded = [c.ljust(w) for c, w in zip(cells, WIDTHS, strict=False)]
        self._stream.write("  ".join([*padded, *cells[len(WIDTHS) :]]).rstrip() + "\n")
        self._stream.flush()

    def add(self, *checks: Check) -> None:
        for check in checks:
            if not self._header:
                self._line("", "AREA", "CHECK", "SEEN")
                self._header = True
            self.checks.append(check)
            self._line("ok" if check.ok else "FAIL", check.area, check.name, check.detail)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def summary(self) -> str:
        failed = self.failed
        text = f"{len(self.checks) - len(failed)} of {len(self.checks)} checks hold"
        if failed:
            text += "; failed: " + "; ".join(f"{c.area}: {c.name}" for c in failed)
        return text

    def write_json(self, path: Path, meta: dict[str, object]) -> None:
        document = {**meta, "ok": not self.failed, "checks": [c.as_dict() for c in self.checks]}
        path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
