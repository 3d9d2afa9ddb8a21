"""Rules on variable names: internal names, and "did you mean" for a name hatool does not know."""

from __future__ import annotations

import difflib

from hatool.inventory.contract import (
    ALIASES,
    FOREIGN_PREFIXES,
    HOST_VARIABLES,
    INTERNAL_PREFIX,
    PLAYBOOK_PARAMETERS,
    RENAMED,
    variables,
)
from hatool.inventory.findings import ERROR, Findings, declare
from hatool.inventory.model import Model

TYPO_CUTOFF = 0.85
#: A name shorter than this is too generic to be read as part of another.
MIN_PART = 8


def suggestion(name: str) -> str | None:
    """The known variable ``name`` most likely means, with why, or ``None``."""
    known = [*variables(), *HOST_VARIABLES]
    if name in ALIASES:
        return f"did you mean {ALIASES[name]}? ({name} is another tool's name for it)"
    if name in RENAMED:
        return (
            f"did you mean {RENAMED[name]}? ({name} was an internal value of an earlier hatool, "
            "worked out from the inventory; see the README, Inventory)"
        )
    close = difflib.get_close_matches(name, known, n=1, cutoff=TYPO_CUTOFF)
    if close:
        return f"did you mean {close[0]}?"
    inside = [k for k in known if len(k) >= MIN_PART and k in name]
    around = [k for k in known if len(name) >= MIN_PART and name in k]
    for candidates in (inside, around):
        if candidates:
            best = max(candidates, key=len) if candidates is inside else min(candidates, key=len)
            return f"did you mean {best}?"
    return None


@declare(
    (
        "variable-unknown",
        ERROR,
        'a variable close to a known one, or another tool\'s name for it: "did you mean ...?"',
    ),
    (
        "variable-internal",
        ERROR,
        "a variable internal to hatool's roles (`__...`) is set in the inventory",
    ),
)
def names(model: Model, out: Findings) -> None:
    known = set(variables()) | set(HOST_VARIABLES) | set(PLAYBOOK_PARAMETERS)
    hosts = model.hatool_hosts()
    setters: dict[str, list[str]] = {}
    for host in hosts:
        for name in model.hostvars.get(host, {}):
            if name not in known and not name.startswith(FOREIGN_PREFIXES):
                setters.setdefault(name, []).append(host)
    for name, where_set in setters.items():
        where = {"host": None if len(where_set) == len(hosts) else where_set[0], "variable": name}
        if name.startswith(INTERNAL_PREFIX):
            message = (
                f"{name} is internal to hatool's roles, worked out from the inventory on every "
                "run; an inventory may not set it: remove it"
            )
            out.add("variable-internal", ERROR, message, **where)
        elif hint := suggestion(name):
            out.add(
                "variable-unknown", ERROR, f"{name} is not a variable hatool knows; {hint}", **where
            )
