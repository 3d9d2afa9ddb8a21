"""The cluster model's dataclasses rebuilt from plain data: what the ``hatool`` fact holds.

:meth:`hatool.cluster.model.Cluster.from_fact` uses :func:`build`. Each field's
type is resolved by name in the module that defines its dataclass
(:func:`typing.get_type_hints`), so a dataclass nested in another module
resolves as well as one in :mod:`hatool.cluster.model`.
"""

from __future__ import annotations

import types
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar, get_type_hints

_T = TypeVar("_T")


def build(kind: type[_T], data: Any) -> _T:
    """A dataclass from plain data, ignoring the fact's derived extras."""
    hints = get_type_hints(kind)
    values = {}
    for item in fields(kind):  # type: ignore[arg-type]
        if item.name not in data:
            continue
        values[item.name] = _convert(hints[item.name], data[item.name])
    return kind(**values)


def _convert(hint: Any, value: Any) -> Any:
    origin = getattr(hint, "__origin__", None)
    if isinstance(hint, types.UnionType):  # X | None
        if value is None:
            return None
        (inner,) = [arg for arg in hint.__args__ if arg is not type(None)]
        return _convert(inner, value)
    if is_dataclass(hint) and isinstance(hint, type):
        return build(hint, value)
    if origin is tuple:
        (inner, *_) = hint.__args__
        return tuple(_convert(inner, v) for v in value)
    return value
