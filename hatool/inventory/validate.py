"""Validate an inventory given by its path, and resolve the cluster it describes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from hatool.cluster.model import Cluster
from hatool.cluster.resolve import resolve
from hatool.errors import EXIT_CHECK_FAILED, HatoolError
from hatool.inventory.findings import Finding, errors, format_text
from hatool.inventory.load import load
from hatool.inventory.model import Model
from hatool.inventory.rules import check


def inventory_dir(path: str) -> str:
    """Ansible's ``inventory_dir`` for an inventory given as a file or a folder."""
    p = Path(path)
    return str(p if p.is_dir() else p.parent)


def validate_path(path: str) -> tuple[Model, list[Finding]]:
    """Load and check the inventory at ``path``; ``HatoolError`` (exit 2) if unusable."""
    model = load(path)
    return model, check(model, inventory_dir(path))


def valid_cluster(path: str, refusal: str, stream: TextIO | None = None) -> tuple[Model, Cluster]:
    """The inventory and its cluster; findings are printed, and errors refuse with ``refusal``.

    Exit code 1 when the inventory breaks a rule, 2 when it cannot be read.
    """
    model, findings = validate_path(path)
    if findings:
        print(format_text(model.source, findings), file=stream or sys.stderr)
    if errors(findings):
        raise HatoolError(f"{refusal}: the inventory is invalid", EXIT_CHECK_FAILED)
    return model, resolve(model, inventory_dir(path))
