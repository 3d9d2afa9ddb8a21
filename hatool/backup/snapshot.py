"""One etcd snapshot file: its sha256, etcd's integrity hash inside it, and its metadata.

``etcdctl snapshot save`` writes the member's bbolt database (whole 512-byte
multiples) followed by the sha256 of those bytes, which ``snapshot restore``
checks. :func:`integrity_problem` checks the same on the controller, without
etcd, so a snapshot damaged on its way is refused before anything uses it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from hatool.errors import HatoolError

#: etcd appends a sha256 (32 bytes) to the database, whose size is a multiple of 512.
HASH_SIZE = 32
PAGE_MULTIPLE = 512


def integrity_problem(path: Path) -> str | None:
    """Why ``path`` is not an intact etcd snapshot, or ``None`` if etcd's own hash matches."""
    size = path.stat().st_size
    if size < PAGE_MULTIPLE + HASH_SIZE or size % PAGE_MULTIPLE != HASH_SIZE:
        return (
            f"{path}: {size} bytes is not an etcd snapshot with its integrity hash "
            "(a database of 512-byte multiples followed by its sha256)"
        )
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        left = size - HASH_SIZE
        while left:
            chunk = handle.read(min(left, 1 << 20))
            digest.update(chunk)
            left -= len(chunk)
        stored = handle.read(HASH_SIZE)
    if digest.digest() != stored:
        return (
            f"{path}: the database does not match the sha256 etcd stored at its end "
            f"(stored {stored.hex()}, computed {digest.hexdigest()}): the file is damaged"
        )
    return None


@dataclass(frozen=True)
class Metadata:
    """What is recorded with a snapshot (``<snapshot>.json``): whose it is, and what it holds.

    ``members`` and ``cluster`` say which cluster it belongs to: a restore onto
    another cluster's inventory is refused. ``revision``, ``hash`` and
    ``total_keys`` are ``snapshot status``'s, read on the member before the
    snapshot counted.
    """

    file: str  # the snapshot's file name, beside this metadata
    sha256: str
    cluster: str
    topology: str
    members: tuple[str, ...]
    taken_from: str  # the member it was taken from
    taken_at: str  # UTC, ISO 8601
    etcd_version: str  # the server version of that member
    revision: int
    hash: int
    total_keys: int
    total_size: int

    def to_json(self) -> str:
        data = asdict(self)
        data["members"] = list(self.members)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Metadata:
        try:
            data: dict[str, Any] = json.loads(text)
            values = {f.name: data[f.name] for f in fields(cls)}
        except (ValueError, KeyError, TypeError) as exc:
            raise HatoolError(f"{where}: not hatool snapshot metadata ({exc})") from None
        values["members"] = tuple(str(m) for m in values["members"])
        return cls(**values)


def metadata_path(snapshot: Path) -> Path:
    """``etcd-prod-20250101T000000Z.db`` -> ``etcd-prod-20250101T000000Z.json``."""
    return snapshot.with_suffix(".json")


def sha256_path(snapshot: Path) -> Path:
    """``<snapshot>.sha256``, in ``sha256sum`` format."""
    return snapshot.with_name(snapshot.name + ".sha256")
