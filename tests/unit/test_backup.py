"""etcd snapshots on the controller: kept only once they check out, refused when damaged or foreign."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from hatool.backup import check_restorable, integrity_problem, retain, snapshots
from hatool.backup.snapshot import Metadata, metadata_path, sha256_path
from hatool.backup.store import keep, snapshot_name, taken_at
from hatool.cli import main
from hatool.errors import HatoolError
from tests.helpers.inventories import cluster_of, model
from tests.helpers.snapshots import STATUS, fake_snapshot, flip_one_byte, kept_snapshot

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_etcd_s_own_hash_at_the_end_of_a_snapshot_is_checked(tmp_path: Path) -> None:
    snapshot = fake_snapshot(tmp_path / "s.db")
    assert integrity_problem(snapshot) is None
    flip_one_byte(snapshot)
    problem = integrity_problem(snapshot)
    assert problem is not None
    assert "does not match the sha256 etcd stored at its end" in problem


def test_a_file_of_the_wrong_shape_is_not_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"x" * 5000)
    assert "is not an etcd snapshot with its integrity hash" in str(integrity_problem(path))


def test_names_sort_in_time_order_and_say_when() -> None:
    name = snapshot_name("prod", WHEN)
    assert name == "etcd-prod-20250102T030405Z.db"
    assert taken_at(Path(name)) == WHEN
    later = snapshot_name("prod", WHEN + dt.timedelta(seconds=1))
    assert sorted([later, name]) == [name, later]


def test_a_kept_snapshot_has_its_sha256_and_metadata(tmp_path: Path) -> None:
    cluster = cluster_of(model({"cluster_name": "prod"}), str(tmp_path))
    kept = kept_snapshot(cluster, WHEN)
    assert kept.snapshot == tmp_path / ".hatool/prod/backups/etcd-prod-20250102T030405Z.db"
    digest = hashlib.sha256(kept.snapshot.read_bytes()).hexdigest()
    assert sha256_path(kept.snapshot).read_text() == f"{digest}  {kept.snapshot.name}\n"
    recorded = json.loads(metadata_path(kept.snapshot).read_text())
    assert recorded == {
        "cluster": "prod", "topology": "stacked", "members": ["m1", "m2", "m3"],
        "file": kept.snapshot.name, "sha256": digest, "taken_from": "m1",
        "taken_at": "2025-01-02T03:04:05Z", "etcd_version": "3.4.23", "revision": 448,
        "hash": 3223318428, "total_keys": 461, "total_size": 20480,
    }  # fmt: skip
    assert (kept.snapshot.stat().st_mode & 0o777) == 0o600
    assert snapshots(kept.snapshot.parent, "prod") == [kept.snapshot]


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("copy", "the copy is damaged"),
        ("integrity", "does not match the sha256 etcd stored"),
        ("status", "snapshot status says revision 0 and 0 keys"),
    ],
)
def test_a_snapshot_that_does_not_check_out_never_counts(
    tmp_path: Path, damage: str, words: str
) -> None:
    cluster = cluster_of(model(), str(tmp_path))
    incoming = fake_snapshot(tmp_path / "incoming.db")
    digest = hashlib.sha256(incoming.read_bytes()).hexdigest()
    status = dict(STATUS)
    if damage == "copy":
        digest = "0" * 64
    elif damage == "integrity":
        flip_one_byte(incoming)
        digest = hashlib.sha256(incoming.read_bytes()).hexdigest()
    else:
        status.update(revision=0, totalKey=0)
    folder = Path(cluster.paths.backups)
    with pytest.raises(HatoolError, match=words):
        keep(folder, incoming, cluster=cluster, member="m1", member_sha256=digest, status=status,
             etcd_version="3.4.23", when=WHEN, retention=3)  # fmt: skip
    assert not incoming.exists()
    assert snapshots(folder) == []


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    cluster = cluster_of(model(), str(tmp_path))
    kept = [kept_snapshot(cluster, WHEN + dt.timedelta(hours=h), retention=3) for h in range(5)]
    folder = Path(cluster.paths.backups)
    assert snapshots(folder) == [k.snapshot for k in kept[2:]]
    assert kept[3].removed == [kept[0].snapshot]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        name for k in kept[2:] for name in (k.snapshot.name, f"{k.snapshot.name}.sha256",
                                             k.snapshot.with_suffix(".json").name)
    )  # fmt: skip
    with pytest.raises(HatoolError, match="keep at least 1 snapshot"):
        retain(folder, "hatool", 0)


def test_an_incomplete_snapshot_is_not_listed(tmp_path: Path) -> None:
    cluster = cluster_of(model(), str(tmp_path))
    kept = kept_snapshot(cluster)
    metadata_path(kept.snapshot).unlink()
    assert snapshots(kept.snapshot.parent) == []


def test_a_snapshot_of_this_cluster_may_be_restored(tmp_path: Path) -> None:
    cluster = cluster_of(model(), str(tmp_path))
    kept = kept_snapshot(cluster)
    assert check_restorable(cluster, kept.snapshot) == kept.metadata


def test_one_byte_changed_is_refused(tmp_path: Path) -> None:
    cluster = cluster_of(model(), str(tmp_path))
    kept = kept_snapshot(cluster)
    flip_one_byte(kept.snapshot, 5000)
    with pytest.raises(HatoolError, match="has changed since it was taken; nothing was stopped"):
        check_restorable(cluster, kept.snapshot)


def test_a_snapshot_without_its_checksum_is_refused(tmp_path: Path) -> None:
    cluster = cluster_of(model(), str(tmp_path))
    kept = kept_snapshot(cluster)
    sha256_path(kept.snapshot).unlink()
    with pytest.raises(HatoolError, match=r"\.db\.sha256 does not exist"):
        check_restorable(cluster, kept.snapshot)


def test_another_cluster_s_snapshot_is_refused(tmp_path: Path) -> None:
    other = cluster_of(model({"cluster_name": "staging"}), str(tmp_path))
    kept = kept_snapshot(other)
    here = cluster_of(model({"cluster_name": "prod"}), str(tmp_path))
    with pytest.raises(
        HatoolError, match=r"taken from cluster staging .* this inventory is cluster prod"
    ):
        check_restorable(here, kept.snapshot)


def test_a_snapshot_from_other_members_needs_a_confirmation(tmp_path: Path) -> None:
    before = cluster_of(model(masters=3), str(tmp_path))
    kept = kept_snapshot(before)
    grown = cluster_of(model(masters=5), str(tmp_path))
    with pytest.raises(HatoolError, match="confirm with --allow-other-members"):
        check_restorable(grown, kept.snapshot)
    assert check_restorable(grown, kept.snapshot, other_members=True).members == ("m1", "m2", "m3")


def test_metadata_that_is_not_hatool_s_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HatoolError, match="not hatool snapshot metadata"):
        Metadata.from_json('{"cluster": "x"}', tmp_path / "s.db")


# -- the commands: nothing is run without a good snapshot and a confirmation ----------------


def lab_like_inventory(tmp_path: Path) -> Path:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars: {kube_version: v1.20.2, etcd_version: v3.4.23, artifact_source: official}\n"
        "  children:\n"
        "    control_plane: {hosts: {m1: {ansible_host: 127.0.9.1}, m2: {ansible_host: 127.0.9.2},"
        " m3: {ansible_host: 127.0.9.3}}}\n"
        "    loadbalancer: {hosts: {lb: {ansible_host: 127.0.9.4}, lb2: {ansible_host: 127.0.9.5}}}\n"
    )
    return inventory


def test_restore_refuses_without_yes_and_says_what_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = lab_like_inventory(tmp_path)
    cluster = cluster_of(model(), str(tmp_path))
    kept = kept_snapshot(cluster)
    assert main(["restore", str(inventory), str(kept.snapshot)]) == 2
    err = capsys.readouterr().err
    assert "refusing to restore without --yes" in err
    assert "every change made since 2025-01-02T03:04:05Z is lost" in err


def test_restore_refuses_a_damaged_snapshot_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = lab_like_inventory(tmp_path)
    kept = kept_snapshot(cluster_of(model(), str(tmp_path)))
    flip_one_byte(kept.snapshot)
    assert main(["restore", str(inventory), str(kept.snapshot), "--yes"]) == 1
    assert "the file has changed since it was taken; nothing was stopped" in capsys.readouterr().err


def test_backup_lists_the_kept_snapshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = lab_like_inventory(tmp_path)
    assert main(["backup", str(inventory), "--list"]) == 0
    assert "no snapshots of cluster hatool" in capsys.readouterr().out
    kept = kept_snapshot(cluster_of(model(), str(tmp_path)))
    assert main(["backup", str(inventory), "--list"]) == 0
    out = capsys.readouterr().out
    assert str(kept.snapshot) in out
    assert "from m1, etcd 3.4.23, revision 448, 461 keys" in out
