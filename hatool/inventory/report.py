"""Validation results as the operator reads them: grouped text, or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from hatool.inventory.load import load
from hatool.inventory.model import Model
from hatool.inventory.rules import ERROR, WARNING, Finding, check


def validate_path(path: str) -> tuple[Model, list[Finding]]:
    """Load and check the inventory at ``path``; ``HatoolError`` (exit 2) if unusable."""
    model = load(path)
    return model, check(model, inventory_dir(path))


def inventory_dir(path: str) -> str:
    """Ansible's ``inventory_dir`` for an inventory given as a file or a folder."""
    p = Path(path)
    return str(p if p.is_dir() else p.parent)


def format_text(source: str, findings: list[Finding]) -> str:
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    lines = []
    for title, items in (("errors", errors), ("warnings", warnings)):
        if items:
            lines.append(f"{title}:")
            lines += [f"  {f.line()}" for f in items]
    verdict = "invalid" if errors else "valid"
    lines.append(f"{source}: {verdict}: {len(errors)} error(s), {len(warnings)} warning(s)")
    return "\n".join(lines)


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2)
