"""The README documents the whole inventory contract, every validation rule, and the layout."""

from __future__ import annotations

import re

import pytest

from hatool.inventory.contract import GROUPS, variables
from hatool.inventory.findings import RULE_IDS
from hatool.inventory.rules import check  # noqa: F401 - registers every rule
from hatool.paths import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(variables()))
def test_every_variable_is_in_the_readme(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_group_is_in_the_readme(group: str) -> None:
    assert f"| `{group}` |" in README


def test_the_rules_were_found() -> None:
    assert len(RULE_IDS) >= 30


@pytest.mark.parametrize("rule", sorted(RULE_IDS))
def test_every_rule_is_in_the_readme(rule: str) -> None:
    assert f"`{rule}`" in README


def layout_rows() -> list[str]:
    section = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)`", section, re.M)


def test_the_layout_table_names_only_paths_that_exist() -> None:
    rows = layout_rows()
    assert len(rows) >= 10
    missing = [row for row in rows if not (PROJECT_ROOT / row.rstrip("/")).exists()]
    assert missing == []


def test_every_top_level_folder_and_python_package_is_in_the_layout() -> None:
    rows = {row.rstrip("/") for row in layout_rows()}
    folders = {
        p.name
        for p in PROJECT_ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name not in ("build", "bench-report")
        and not p.name.endswith(".egg-info")
    }
    packages = {
        str(p.parent.relative_to(PROJECT_ROOT))
        for p in (PROJECT_ROOT / "hatool").glob("*/__init__.py")
    }
    assert sorted((folders | packages) - rows) == []
