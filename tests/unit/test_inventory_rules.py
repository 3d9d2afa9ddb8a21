"""Every inventory rule, through ``hatool validate``: its id, its words, its exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hatool.cli import main
from hatool.inventory.durations import parse_duration
from hatool.paths import PROJECT_ROOT

INVENTORIES = PROJECT_ROOT / "tests" / "inventories"

#: inventory folder -> (rule id, severity, words the message must contain)
CASES: dict[str, tuple[str, str, list[str]]] = {
    "group-missing": ("group-missing", "error", ["loadbalancer: the group is missing"]),
    "group-empty": ("group-empty", "error", ["control_plane: the group has no hosts"]),
    "group-unknown": ("group-unknown", "warning", ["mon-1 is only in group monitoring"]),
    "etcd-member-count": (
        "etcd-member-count", "error",
        ["etcd: 2 members tolerate no failure", "worse than 1", "use 3 or 5"],
    ),
    "etcd-member-count-even": (
        "etcd-member-count", "error", ["etcd: 4 members tolerate 1 failure(s)", "(3 or 5)"],
    ),
    "ini-etcd-member-count": ("etcd-member-count", "error", ["etcd: 2 members tolerate no failure"]),
    "control-plane-size": (
        "control-plane-size", "warning", ["control_plane: 2 host(s)", "not highly available"],
    ),
    "loadbalancer-single": (
        "loadbalancer-single", "warning", ["lb-1 is the only load balancer", "single point of failure"],
    ),
    "topology-invalid": ("topology-invalid", "error", ["etcd_topology is 'hybrid'"]),
    "topology-stacked-etcd-group": (
        "topology-stacked-etcd-group", "error", ["group etcd holds etcd-1"],
    ),
    "topology-external-overlap": (
        "topology-external-overlap", "error", ["master-1 is in both etcd and control_plane"],
    ),
    "cluster-value-differs": (
        "cluster-value-differs", "error", ["kube_version must be the same on every host", "'v1.30.2' on master-2"],
    ),
    "cluster-name-invalid": ("cluster-name-invalid", "error", ["cluster_name 'Prod_Cluster'"]),
    "host-address-missing": ("host-address-missing", "error", ["master-2 has no ansible_host"]),
    "host-address-invalid": (
        "host-address-invalid", "error", ["master-2: ansible_host '127.0.1.300' is neither"],
    ),
    "host-address-duplicate": (
        "host-address-duplicate", "error", ["lb-2 and lb-1 share the address 127.0.1.10"],
    ),
    "port-invalid": ("port-invalid", "error", ["kube_apiserver_port is 70000"]),
    "loadbalancer-port-conflict": (
        "loadbalancer-port-conflict", "error",
        ["load balancer master-1 runs on control-plane host master-1", "listens on 6443"],
    ),
    "service-cidr-invalid": ("service-cidr-invalid", "error", ["kube_service_cidr '10.96.0.1/12'"]),
    "service-cidr-contains-host": (
        "service-cidr-contains-host", "error", ["127.0.0.0/16 contains master-1's address 127.0.1.1"],
    ),
    "duration-invalid": (
        "duration-invalid", "error", ["leader_elect_lease_duration for kube-controller-manager", "has no unit"],
    ),
    "leader-election-timing": (
        "leader-election-timing", "error",
        ["lease duration 10s, renew deadline 10s, retry period 2s",
         "lease duration 10s must be greater than renew deadline 10s"],
    ),
    "leader-election-jitter": (
        "leader-election-timing", "error",
        ["kube-scheduler: lease duration 15s, renew deadline 10s, retry period 9s",
         "must be greater than 1.2 x retry period = 10.8s"],
    ),
    "kube-version-invalid": ("kube-version-invalid", "error", ["kube_version '1.31'"]),
    "kube-version-unsupported": (
        "kube-version-unsupported", "error", ["kube_version v1.18.3", "not v1.18"],
    ),
    "etcd-version-invalid": ("etcd-version-invalid", "error", ["etcd_version 'latest'"]),
    "artifact-source-invalid": ("artifact-source-invalid", "error", ["artifact_source is 'ftp'"]),
    "artifact-mirror-url": ("artifact-mirror-url", "error", ["artifact_mirror_url must be an http(s) URL"]),
    "artifact-source-version": (
        "artifact-source-version", "error", ["kube_version v1.31.4 is not available from artifact_source mirror"],
    ),
    "etcd-member-removed": (
        "etcd-member-removed", "error",
        ["etcd-4 is a member of the cluster's etcd", "no longer in group etcd",
         "playbooks/etcd-remove-member.yml -e etcd_member=etcd-4"],
    ),
    "variable-unknown": (
        "variable-unknown", "error",
        ["leader_elect_lease_duraton is not a variable hatool knows; did you mean leader_elect_lease_duration?"],
    ),
}  # fmt: skip


def inventory_of(case: str) -> Path:
    folder = INVENTORIES / case
    return next(p for p in sorted(folder.iterdir()) if p.is_file())


def run_validate(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, str]]]:
    code = main(["validate", "--json", str(path)])
    return code, json.loads(capsys.readouterr().out)


def test_every_rule_has_an_inventory() -> None:
    folders = {p.name for p in INVENTORIES.iterdir() if p.is_dir()}
    assert set(CASES) <= folders


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


def test_a_topology_switch_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "hosts.yml"
    shutil.copy(inventory_of("valid"), inventory)
    record = tmp_path / ".hatool" / "hatool"
    record.mkdir(parents=True)
    (record / "cluster.json").write_text('{"etcd_topology": "external"}')
    code, findings = run_validate(inventory, capsys)
    assert code == 1
    assert [f["rule"] for f in findings] == ["topology-switch"]
    assert (
        "deployed with etcd_topology external; the inventory now says stacked"
        in findings[0]["message"]
    )


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
    assert "hatool does not remove masters: put it back" in findings[0]["message"]


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
