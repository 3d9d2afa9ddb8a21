"""Validation reads YAML with libyaml: the same data, and the same errors, as PyYAML's parser."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hatool.inventory.yamlfile import safe_load
from hatool.paths import PROJECT_ROOT

FILES = sorted(
    p
    for pattern in (
        "tests/inventories/**/*.yml",
        "inventory/**/*.yml",
        "roles/*/defaults/*.yml",
        "roles/*/meta/*.yml",
        "tests/inventories/**/*_vars/**/*",
    )
    for p in PROJECT_ROOT.glob(pattern)
    if p.is_file()
)


def test_there_are_files_to_compare() -> None:
    assert len(FILES) > 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_file_reads_the_same_as_with_pyyaml(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        message = str(exc)
    else:
        assert safe_load(text) == expected
        return
    with pytest.raises(yaml.YAMLError) as raised:  # a test inventory broken on purpose
        safe_load(text)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "text",
    [
        "mode: '0600'\nraw: 0600\nflag: yes\noff: no\nwhen: 2024-01-02\nnum: 1e3\nnull_: ~\n",
        "all:\n  hosts:\n    a: {ansible_host: 10.0.0.1}\n  vars: {x: [1, 2, {y: z}]}\n",
        "- a\n- b\n",
        "just text",
        "",
    ],
)
def test_yaml_11_values_resolve_as_pyyaml_resolves_them(text: str) -> None:
    assert safe_load(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", ["all:\n  hosts:\n    a: [\n", "a: b\n c: d\n", "a: 'x\n"])
def test_a_syntax_error_names_the_same_problem_and_line(text: str) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as expected:
        yaml.safe_load(text)
    with pytest.raises(yaml.MarkedYAMLError) as raised:
        safe_load(text)
    assert raised.value.problem == expected.value.problem
    assert raised.value.problem_mark is not None
    assert expected.value.problem_mark is not None
    assert raised.value.problem_mark.line == expected.value.problem_mark.line
