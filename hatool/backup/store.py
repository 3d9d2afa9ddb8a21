"""The cluster's ``backups/`` folder: a snapshot counts once it checks out; old ones go.

A snapshot is kept as three files, written in this order:
``etcd-<cluster>-<UTC time>.db``, its ``.db.sha256`` and its ``.json``
metadata. Only a snapshot with all three is listed or restored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatool.backup.snapshot import (
    Metadata,
    integrity_problem,
    metadata_path,
    sha256_path,
)
from hatool.cluster.model import Cluster
from hatool.errors import EXIT_CHECK_FAILED, HatoolError
from hatool.files import sha256_file

TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^etcd-(?P<cluster>[a-z0-9-]+)-(?P<when>\d{8}T\d{6}Z)\.db$")


def snapshot_name(cluster: str, when: dt.datetime) -> str:
    """``etcd-<cluster>-<UTC time>.db``: names sort in time order."""
    return f"etcd-{cluster}-{when.astimezone(dt.UTC).strftime(TIME_FORMAT)}.db"


def taken_at(snapshot: Path) -> dt.datetime | None:
    """When the snapshot was taken, from its name."""
    match = _NAME.match(snapshot.name)
    if match is None:
        return None
    return dt.datetime.strptime(match["when"], TIME_FORMAT).replace(tzinfo=dt.UTC)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def snapshots(folder: Path, cluster: str | None = None) -> list[Path]:
    """Complete snapshots in ``folder`` (of ``cluster``, if given), oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("etcd-*.db"):
        match = _NAME.match(path.name)
        if match is None or (cluster is not None and match["cluster"] != cluster):
            continue
        if sha256_path(path).is_file() and metadata_path(path).is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.name)


def retain(folder: Path, cluster: str, count: int) -> list[Path]:
    """Delete all but the newest ``count`` snapshots of ``cluster``; return what went."""
    if count < 1:
        raise HatoolError(f"etcd_backup_retention is {count}: keep at least 1 snapshot")
    removed = []
    for old in snapshots(folder, cluster)[:-count]:
        for path in (old, sha256_path(old), metadata_path(old)):
            path.unlink(missing_ok=True)
        removed.append(old)
    return removed


@dataclass(frozen=True)
class Kept:
    snapshot: Path
    metadata: Metadata
    removed: list[Path]


def _status_problem(status: Mapping[str, Any]) -> str | None:
    """Why ``snapshot status`` does not describe a usable snapshot, or None."""
    try:
        revision, keys = int(status["revision"]), int(status["totalKey"])
        int(status["hash"])
    except (KeyError, TypeError, ValueError):
        return f"snapshot status gave no hash, revision and key count: {dict(status)}"
    if revision < 1 or keys < 1:
        return f"snapshot status says revision {revision} and {keys} keys: an empty snapshot"
    return None


def keep(
    folder: Path,
    incoming: Path,
    *,
    cluster: Cluster,
    member: str,
    member_sha256: str,
    status: Mapping[str, Any],
    etcd_version: str,
    when: dt.datetime,
    retention: int,
) -> Kept:
    """Check a snapshot fetched from ``member``; if it holds, keep it under its final name.

    It must arrive intact (its sha256 on the controller equals the member's),
    carry etcd's own integrity hash, and ``snapshot status`` on the member must
    have read a hash, a revision and keys from it. Then the snapshot, its sha256
    and its metadata are written, and snapshots beyond ``retention`` deleted. A
    snapshot that fails a check is deleted and never listed.
    """
    digest = sha256_file(incoming)
    problems = [
        f"{incoming.name}: sha256 {digest} on the controller, {member_sha256} on {member}: "
        "the copy is damaged"
        if digest != member_sha256
        else None,
        integrity_problem(incoming),
        _status_problem(status),
    ]
    found = [p for p in problems if p]
    if found:
        incoming.unlink(missing_ok=True)
        raise HatoolError(
            f"the snapshot from {member} does not count: " + "; ".join(found),
            exit_code=EXIT_CHECK_FAILED,
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / snapshot_name(cluster.name, when)
    metadata = Metadata(
        file=final.name,
        sha256=digest,
        cluster=cluster.name,
        topology=cluster.topology,
        members=tuple(m.name for m in cluster.etcd.members),
        taken_from=member,
        taken_at=when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        etcd_version=etcd_version,
        revision=int(status["revision"]),
        hash=int(status["hash"]),
        total_keys=int(status["totalKey"]),
        total_size=int(status.get("totalSize", incoming.stat().st_size - 32)),
    )
    incoming.chmod(0o600)
    incoming.replace(final)
    _write(sha256_path(final), f"{digest}  {final.name}\n")
    _write(metadata_path(final), metadata.to_json())
    return Kept(final, metadata, retain(folder, cluster.name, retention))


def read_metadata(snapshot: Path) -> Metadata:
    return Metadata.from_json(metadata_path(snapshot).read_text(encoding="utf-8"), snapshot)


def check_restorable(cluster: Cluster, snapshot: Path, *, other_members: bool = False) -> Metadata:
    """The snapshot's metadata, if it may be restored onto ``cluster``; else a clear refusal.

    Checked on the controller before anything is stopped: the file, its sha256
    (recorded when it was kept), etcd's integrity hash in it, and that it was
    taken from this cluster: the same ``cluster_name`` and the same etcd members
    (``other_members`` accepts other members: a snapshot from before a master
    was replaced).
    """
    where = f"refusing to restore {snapshot}"
    for needed in (snapshot, sha256_path(snapshot), metadata_path(snapshot)):
        if not needed.is_file():
            raise HatoolError(
                f"{where}: {needed} does not exist; hatool restores snapshots taken by "
                "'hatool backup' (or playbooks/etcd-backup.yml), kept with their sha256 "
                "and metadata"
            )
    recorded = sha256_path(snapshot).read_text(encoding="utf-8").split()
    metadata = read_metadata(snapshot)
    digest = sha256_file(snapshot)
    if not recorded or recorded[0] != digest or metadata.sha256 != digest:
        raise HatoolError(
            f"{where}: its sha256 is {digest}, but {sha256_path(snapshot).name} records "
            f"{recorded[0] if recorded else '(nothing)'}: the file has changed since it was "
            "taken; nothing was stopped",
            exit_code=EXIT_CHECK_FAILED,
        )
    problem = integrity_problem(snapshot)
    if problem:
        raise HatoolError(f"{where}: {problem}; nothing was stopped", EXIT_CHECK_FAILED)
    members = sorted(m.name for m in cluster.etcd.members)
    taken = f"it was taken from cluster {metadata.cluster} with etcd members " + ", ".join(
        sorted(metadata.members)
    )
    here = f"this inventory is cluster {cluster.name} with etcd members {', '.join(members)}"
    if metadata.cluster != cluster.name:
        raise HatoolError(
            f"{where}: {taken}, and {here}: it belongs to another cluster; nothing was stopped",
            exit_code=EXIT_CHECK_FAILED,
        )
    if sorted(metadata.members) != members and not other_members:
        raise HatoolError(
            f"{where}: {taken}, and {here}: it belongs to another cluster, or to this one "
            "before its members changed; if so, confirm with --allow-other-members "
            "(-e allow_other_members=true); nothing was stopped",
            exit_code=EXIT_CHECK_FAILED,
        )
    return metadata
