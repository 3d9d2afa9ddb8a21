"""Progress lines for long work: what, on which host, and how long it took."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """Writes one line per step to stderr: ``[  12.3s] host: what``."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._quiet = quiet
        self._start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def say(self, message: str, host: str | None = None) -> None:
        if self._quiet:
            return
        where = f"{host}: " if host else ""
        self._stream.write(f"[{self.elapsed():7.1f}s] {where}{message}\n")
        self._stream.flush()

    @contextmanager
    def step(self, message: str, host: str | None = None) -> Iterator[None]:
        """Say what starts, then how long it took (or that it failed)."""
        self.say(f"{message} ...", host)
        began = time.monotonic()
        try:
            yield
        except BaseException:
            self.say(f"{message}: failed after {time.monotonic() - began:.1f}s", host)
            raise
        self.say(f"{message}: done in {time.monotonic() - began:.1f}s", host)
