"""etcd snapshots on the controller: taken by ``playbooks/etcd-backup.yml``, kept here.

- :mod:`hatool.backup.snapshot`: one snapshot file, its sha256, etcd's own
  integrity hash inside it, and the metadata recorded with it
- :mod:`hatool.backup.store`: the cluster's ``backups/`` folder: keeping a
  snapshot once it checks out, retention, listing, and whether a snapshot may
  be restored onto a cluster
"""

from __future__ import annotations

from hatool.backup.snapshot import Metadata, integrity_problem
from hatool.backup.store import check_restorable, keep, retain, snapshots

__all__ = [
    "Metadata",
    "check_restorable",
    "integrity_problem",
    "keep",
    "retain",
    "snapshots",
]
