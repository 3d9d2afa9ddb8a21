"""Every inventory rule, through ``hatool validate``: its id, its words, its exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hatool.cli import main
from hatool.inventory.durations import parse_duration
from hatool.inventory.findings import RULE_IDS
from hatool.inventory.rules import check  # noqa: F401 - registers every rule
from hatool.paths import PROJECT_ROOT
from tests.helpers.cases import CASES, INVENTORIES, NOT_CASES, inventory_of


def run_validate(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, str]]]:
    code = main(["validate", "--json", str(path)])
    return code, json.loads(capsys.readouterr().out)


def test_every_rule_has_an_inventory_and_every_inventory_a_rule() -> None:
    folders = {p.name for p in INVENTORIES.iterdir() if p.is_dir()}
    assert sorted(folders - NOT_CASES) == sorted(CASES)
    assert sorted({rule for rule, _, _ in CASES.values()}) == sorted(RULE_IDS)
    for rule, severity, _ in CASES.values():
        assert RULE_IDS[rule].severity in (severity, "either")


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_inventory_breaks_its_own_rule(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    rule, severity, words = CASES[case]
    code, findings = run_validate(inventory_of(case), capsys)
    ours = [f for f in findings if f["rule"] == rule]
    assert ours, f"{case}: no {rule} finding in {findings}"
    assert {f["severity"] for f in ours} == {severity}
    for word in words:
        assert any(word in f["message"] for f in ours), f"{word!r} not in {ours}"
    others = [f for f in findings if f["rule"] != rule and f["severity"] == "error"]
    assert others == [], f"{case} breaks other rules too: {others}"
    assert code == (1 if severity == "error" else 0)
    assert all(f["file"].startswith("tests/inventories/") for f in findings)


def test_the_valid_inventory_has_no_finding(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_validate(inventory_of("valid"), capsys) == (0, [])


def test_text_output_groups_by_severity_and_names_the_place(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(inventory_of("etcd-member-count"))]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "errors:"
    assert out[1].startswith("  error [etcd-member-count] etcd: 2 members tolerate no failure")
    assert out[1].endswith("(group etcd in tests/inventories/etcd-member-count/hosts.yml)")
    assert (
        out[-1]
        == "tests/inventories/etcd-member-count/hosts.yml: invalid: 1 error(s), 0 warning(s)"
    )


def test_a_variable_in_group_vars_is_traced_to_its_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = run_validate(INVENTORIES / "dir-group-vars", capsys)
    assert code == 1
    assert {f["file"] for f in findings} == {"tests/inventories/dir-group-vars/group_vars/all.yml"}
    assert {f["variable"] for f in findings} == {"leader_elect_lease_duration"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("unusable/syntax.yml", "tests/inventories/unusable/syntax.yml:7: YAML syntax error"),
        ("unusable/syntax.ini", "tests/inventories/unusable/syntax.ini:2: cannot parse as an Ansible inventory: Expected key=value host variable assignment, got: stray"),
        ("unusable/empty.yml", "tests/inventories/unusable/empty.yml: the inventory has no hosts"),
        ("unusable/missing.yml", "tests/inventories/unusable/missing.yml: no such inventory file or folder"),
    ],
)  # fmt: skip
def test_unusable_input_is_one_line_and_exit_2(
    path: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(INVENTORIES / path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"hatool: {message}")


def test_a_master_dropped_from_a_stacked_cluster_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "hosts.yml"
    shutil.copy(inventory_of("valid"), inventory)
    record = tmp_path / ".hatool" / "hatool"
    record.mkdir(parents=True)
    (record / "cluster.json").write_text(
        '{"etcd_topology": "stacked", "etcd_members": ["master-1", "master-2", "master-3", "master-4"]}'
    )
    code, findings = run_validate(inventory, capsys)
    assert code == 1
    assert [(f["rule"], f["host"]) for f in findings] == [("etcd-member-removed", "master-4")]
    assert "playbooks/remove-master.yml -e master=master-4" in findings[0]["message"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15s", 15),
        ("1m30s", 90),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("2h", 7200),
        ("0", 0),
        ("-3s", -3),
    ],
)
def test_go_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("15", "has no unit"),
        ("s", "not a duration"),
        ("1d", "not a duration"),
        ("", "not a duration"),
    ],
)
def test_bad_durations_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_duration(text)


@pytest.mark.parametrize("sample", ["stacked", "external-etcd"])
def test_the_samples_validate_clean(sample: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = run_validate(PROJECT_ROOT / "inventory" / "sample" / sample, capsys)
    assert code == 0
    assert [f for f in findings if f["severity"] == "error"] == []
