"""Go-style durations (``15s``, ``1m30s``, ``500ms``, ``1.5h``), as Kubernetes flags take them."""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: object) -> float:
    """Seconds in a Go duration string; ``ValueError`` with the reason if it is not one.

    As in Go's ``time.ParseDuration``, a bare number other than ``0`` is not a
    duration: ``15`` must be written ``15s``.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"{text!r} is not a duration such as 15s or 1m30s")
    value = str(text).strip()
    if value in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    if not body:
        raise ValueError(f"{value!r} is not a duration such as 15s or 1m30s")
    position, total = 0, 0.0
    while position < len(body):
        match = _PART.match(body, position)
        if match is None:
            if re.fullmatch(r"\d+(\.\d*)?", body):
                raise ValueError(f"{value!r} has no unit; write for example {body}s")
            raise ValueError(f"{value!r} is not a duration such as 15s or 1m30s")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return sign * total


def format_seconds(seconds: float) -> str:
    """``15.0`` -> ``15s``, ``1.5`` -> ``1.5s``."""
    return f"{seconds:g}s"
