"""What validation reports: findings, the rule ids they carry, and how they read.

Every rule id is declared once, as data (:data:`RULE_IDS`), with its severity
and a one-line summary: the README's rule table and the tests read it from
here. A rule may only report the ids it declared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from hatool.inventory.model import Model

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class RuleId:
    id: str
    severity: str
    summary: str


@dataclass(frozen=True)
class Finding:
    """One broken rule: what, where and how bad."""

    rule: str
    severity: str
    message: str
    file: str
    group: str | None = None
    host: str | None = None
    variable: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        where = []
        if self.group:
            where.append(f"group {self.group}")
        if self.host:
            where.append(f"host {self.host}")
        if self.variable:
            where.append(f"variable {self.variable}")
        place = ", ".join(where)
        place = f"{place} in {self.file}" if place else self.file
        return f"{self.severity} [{self.rule}] {self.message} ({place})"


#: Every rule id, as declared by the rules.
RULE_IDS: dict[str, RuleId] = {}


@dataclass(frozen=True)
class Record:
    """What the last deploy recorded (``cluster.json``), and where."""

    path: str
    data: dict[str, Any]


class Findings:
    """Collects findings for one model; each names the file that sets its variable.

    ``record`` is the last deploy's record, for the rules that compare with it.
    """

    def __init__(self, model: Model, record: Record | None = None) -> None:
        self.model = model
        self.record = record
        self.items: list[Finding] = []

    def add(
        self,
        rule: str,
        severity: str,
        message: str,
        *,
        group: str | None = None,
        host: str | None = None,
        variable: str | None = None,
    ) -> None:
        declared = RULE_IDS.get(rule)
        if declared is None or declared.severity not in (severity, "either"):
            raise ValueError(f"rule id {rule!r} with severity {severity} is not declared")
        file = self.model.where(variable, host)
        self.items.append(Finding(rule, severity, message, file, group, host, variable))


Rule = Callable[[Model, Findings], None]
#: The rules on the inventory, in the order they run.
RULES: list[Rule] = []


def declare(*ids: tuple[str, str, str]) -> Callable[[Rule], Rule]:
    """Register a rule with the ids it reports: ``(id, severity, summary)`` each.

    Severity ``either`` is for an id reported as an error or a warning by case.
    """

    def register(func: Rule) -> Rule:
        for rule_id, severity, summary in ids:
            RULE_IDS[rule_id] = RuleId(rule_id, severity, summary)
        RULES.append(func)
        return func

    return register


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def format_text(source: str, findings: list[Finding]) -> str:
    errors_ = errors(findings)
    warnings = [f for f in findings if f.severity == WARNING]
    lines = []
    for title, items in (("errors", errors_), ("warnings", warnings)):
        if items:
            lines.append(f"{title}:")
            lines += [f"  {f.line()}" for f in items]
    verdict = "invalid" if errors_ else "valid"
    lines.append(f"{source}: {verdict}: {len(errors_)} error(s), {len(warnings)} warning(s)")
    return "\n".join(lines)


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2)
