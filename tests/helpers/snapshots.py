"""etcd snapshot files for tests: the shape ``etcdctl snapshot save`` writes, without etcd."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from hatool.backup.store import Kept, keep
from hatool.cluster.model import Cluster

STATUS = {"hash": 3223318428, "revision": 448, "totalKey": 461, "totalSize": 20480}


def fake_snapshot(path: Path, pages: int = 5) -> Path:
    """A database of ``pages`` 4 KiB pages followed by its sha256, as etcd saves one."""
    data = os.urandom(4096 * pages)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data + hashlib.sha256(data).digest())
    return path


def flip_one_byte(path: Path, offset: int = 1000) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def kept_snapshot(cluster: Cluster, when: dt.datetime | None = None, *, retention: int = 7) -> Kept:
    """A snapshot kept in ``cluster``'s backups folder, as the backup playbook leaves it."""
    folder = Path(cluster.paths.backups)
    incoming = fake_snapshot(folder / ".incoming.db")
    return keep(
        folder,
        incoming,
        cluster=cluster,
        member=cluster.etcd.members[0].name,
        member_sha256=hashlib.sha256(incoming.read_bytes()).hexdigest(),
        status=STATUS,
        etcd_version="3.4.23",
        when=when or dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        retention=retention,
    )
