"""YAML read with libyaml when PyYAML has it: the same data as ``yaml.safe_load``, faster.

A file that does not parse is read again by PyYAML's pure-Python parser, so
that an error names the same problem and line whichever parser is there.
"""

from __future__ import annotations

from typing import Any

import yaml

_FAST: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml's parser when there is one."""
    try:
        return yaml.load(text, Loader=_FAST)  # noqa: S506 - CSafeLoader is the safe loader in C
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises the error in PyYAML's own words
