"""The look behind a no-change re-run (hatool.hoststate, hatool.converged, the filter).

Each kind of drift a role must notice is made on real files here and must show
up as a reason; the e2e module makes the same drifts on a deployed lab.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hatool import converged, hoststate
from plugins.filter.hatool import hatool_unchanged

INPUTS = {"cluster": "a", "variables": "b", "code": "c", "files": "d"}


def _files(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a.conf").write_text("one\n")
    (tmp_path / "conf" / "sub").mkdir()
    (tmp_path / "conf" / "sub" / "b.key").write_text("key\n")
    (tmp_path / "unit").write_text("[Unit]\n")
    (tmp_path / "link").symlink_to(tmp_path / "unit")
    return {
        "paths": [str(tmp_path / "unit"), str(tmp_path / "link"), str(tmp_path / "gone")],
        "trees": [str(tmp_path / "conf")],
    }


def _reasons(spec: dict[str, Any], before: dict[str, Any]) -> list[str]:
    record = {"inputs": INPUTS, "snapshot": before}
    return hoststate.differences(record, hoststate.snapshot(spec), INPUTS)


def test_an_untouched_host_has_no_difference(tmp_path: Path) -> None:
    spec = _files(tmp_path)
    before = hoststate.snapshot(spec)
    assert _reasons(spec, before) == []
    assert before["paths"][str(tmp_path / "gone")] == "absent"
    assert before["paths"][str(tmp_path / "link")] == f"link {tmp_path / 'unit'}"
    assert str(tmp_path / "conf" / "sub" / "b.key") in before["paths"]


def test_a_file_written_again_with_the_same_bytes_is_a_difference(tmp_path: Path) -> None:
    spec = _files(tmp_path)
    before = hoststate.snapshot(spec)
    target = tmp_path / "conf" / "a.conf"
    ctime = target.stat().st_ctime_ns
    while target.stat().st_ctime_ns == ctime:  # a filesystem with coarse timestamps
        target.write_text("one\n")
    assert _reasons(spec, before) == [f"{target}: written since (content or times)"]


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        (lambda t: (t / "unit").chmod(0o600), "unit: file 0600"),
        (lambda t: (t / "gone").write_text("x"), "gone: file 0644"),
        (lambda t: (t / "conf" / "sub" / "b.key").unlink(), "b.key: absent (was file"),
        (lambda t: (t / "conf" / "new").write_text("x"), "new: file 0644"),
        (lambda t: _relink(t / "link", t / "conf"), "link: link "),
    ],
    ids=["mode", "created", "deleted", "added-below-a-tree", "link-retargeted"],
)
def test_each_kind_of_drift_is_a_difference(tmp_path: Path, drift: Any, expected: str) -> None:
    os.umask(0o022)
    spec = _files(tmp_path)
    before = hoststate.snapshot(spec)
    drift(tmp_path)
    reasons = _reasons(spec, before)
    assert len(reasons) == 1, reasons
    assert expected in reasons[0]


def _relink(link: Path, target: Path) -> None:
    link.unlink()
    link.symlink_to(target)


def test_units_users_groups_and_packages_are_compared() -> None:
    was = {"units": {"etcd": "loaded active enabled"}, "users": {"etcd": "999 999 /x /y"}}
    now = {"units": {"etcd": "loaded inactive enabled"}, "users": {"etcd": "absent"}}
    reasons = hoststate.differences({"inputs": INPUTS, "snapshot": was}, now, INPUTS)
    assert reasons == [
        "unit etcd: loaded inactive enabled (was loaded active enabled)",
        "user etcd: absent (was 999 999 /x /y)",
    ]


def test_each_changed_input_is_named() -> None:
    record = {"inputs": INPUTS, "snapshot": {}}
    now = {**INPUTS, "variables": "other", "files": "other"}
    assert hoststate.differences(record, {}, now) == [
        "the certificates, keys or kubeconfigs on the controller changed",
        "the role's variables changed",
    ]


@pytest.mark.parametrize("record", [None, {}, "junk", {"inputs": INPUTS}])
def test_no_record_is_never_converged(record: Any) -> None:
    reasons = hoststate.differences(record, {}, INPUTS)
    assert reasons
    assert "no record" in reasons[0]


def test_the_script_runs_alone_records_and_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on a host: the file's own source through ``python3 -c``, standard library only."""
    spec = _files(tmp_path)
    state = tmp_path / "state"
    source = (
        Path(hoststate.__file__)
        .read_text()
        .replace('STATE_DIR = "/var/lib/hatool/roles"', f"STATE_DIR = {str(state)!r}")
    )
    request = {"role": "etcd", "spec": spec, "record": INPUTS}
    run = [sys.executable, "-I", "-c", source, json.dumps(request)]
    first = json.loads(subprocess.run(run, capture_output=True, check=True, text=True).stdout)
    assert first["record"] == {"inputs": INPUTS, "snapshot": first["snapshot"]}
    assert (state / "etcd.json").stat().st_mode & 0o777 == 0o600
    assert first["facts"] == {"architecture": os.uname().machine, "nodename": os.uname().nodename}
    request["record"] = None
    again = json.loads(subprocess.run([*run[:-1], json.dumps(request)], capture_output=True,
                                      check=True, text=True).stdout)  # fmt: skip
    assert hoststate.differences(again["record"], again["snapshot"], INPUTS) == []


def test_inputs_change_with_the_cluster_the_variables_and_the_files(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("a")
    base = converged.inputs_digests("etcd", {"name": "x"}, {"etcd_data_dir": "/d"}, [str(tmp_path)])
    assert base == converged.inputs_digests(
        "etcd", {"name": "x"}, {"etcd_data_dir": "/d"}, [str(tmp_path)]
    )
    (tmp_path / "ca.crt").write_text("b")
    changed = converged.inputs_digests(
        "etcd", {"name": "y"}, {"etcd_data_dir": "/e"}, [str(tmp_path)]
    )
    assert {k for k in base if base[k] != changed[k]} == {"cluster", "variables", "files"}
    assert converged.code_digest("etcd") != converged.code_digest("loadbalancer")


def test_the_role_variables_are_the_defaults_of_the_role_and_of_common() -> None:
    names = converged.role_variables("etcd")
    assert "etcd_data_dir" in names
    assert "etcd_backup_timer" in names
    assert not [n for n in names if n.startswith("__")]


@pytest.mark.parametrize(
    ("looks", "expected"),
    [
        ({"m1": {"converged": True}, "m2": {"converged": True}}, True),
        ({"m1": {"converged": True}, "m2": {"converged": False}}, False),
        ({"m1": {"converged": True}, "m2": {"skipped": True}}, True),  # not a member
        ({"m1": {"skipped": True}}, False),  # nobody looked
        ({}, False),
    ],
)
def test_a_role_is_skipped_on_all_its_hosts_or_on_none(
    looks: dict[str, Any], expected: bool
) -> None:
    hostvars = {h: ({"__look": r} if r else {}) for h, r in looks.items()}
    hostvars.setdefault("m3", {})
    assert hatool_unchanged(list(hostvars), hostvars, "__look") is expected
