"""The README documents the whole inventory contract and every validation rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hatool.inventory.contract import GROUPS, VARIABLES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
RULES = sorted(
    set(
        re.findall(
            r'^\s+"([a-z]+(?:-[a-z]+)+)", (?:ERROR|WARNING)',
            (Path(__file__).resolve().parents[2] / "hatool/inventory/rules.py").read_text(),
            re.M,
        )
    )
)


@pytest.mark.parametrize(
    "name", [v for v in VARIABLES if "_leader_elect_" not in v or v.startswith("leader")]
)
def test_every_cluster_variable_is_in_the_readme(name: str) -> None:
    assert f"`{name}`" in README


def test_per_component_overrides_are_in_the_readme() -> None:
    for component in ("kube_controller_manager", "kube_scheduler"):
        assert f"`{component}_leader_elect_lease_duration`" in README


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_group_is_in_the_readme(group: str) -> None:
    assert f"| `{group}` |" in README


def test_the_rules_were_found() -> None:
    assert len(RULES) >= 25


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_is_in_the_readme(rule: str) -> None:
    assert f"`{rule}`" in README
