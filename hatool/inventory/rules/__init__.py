"""hatool's inventory rules, written once.

:func:`check` returns every finding; ``hatool validate``, ``hatool deploy``
and the first play of every playbook (through the ``hatool_validate_inventory``
action plugin) all call it, so an operator gets the same checks and the same
words whichever way they run hatool. Each module holds the rules of one
subject; the ids they report are data in :data:`hatool.inventory.findings.RULE_IDS`.
"""

from __future__ import annotations

from hatool.inventory.findings import ERROR, RULES, Finding, Findings
from hatool.inventory.model import Model
from hatool.inventory.rules import (
    election,
    groups,
    loadbalancers,
    names,
    network,
    record,
    values,
    versions,
)
from hatool.inventory.rules.record import read_record

#: The rule modules, in the order their rules run.
MODULES = (groups, loadbalancers, values, network, election, versions, names, record)


def check(model: Model, inventory_dir: str | None = None) -> list[Finding]:
    """Every finding for ``model``, errors first, in rule order.

    ``inventory_dir`` locates the last deploy's record, for the rules that
    compare with it.
    """
    out = Findings(model, read_record(model, inventory_dir))
    for each in RULES:
        each(model, out)
    return sorted(out.items, key=lambda f: f.severity != ERROR)
