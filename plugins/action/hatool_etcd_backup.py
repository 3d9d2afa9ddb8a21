"""Action plugin: keep an etcd snapshot fetched to the controller, once it checks out.

The snapshot must have arrived intact (its sha256 equals the member's), carry
etcd's integrity hash, and have a hash, a revision and keys in ``snapshot
status``; then it is kept in the cluster's ``backups/`` folder with its sha256
and metadata, and snapshots beyond the retention count are deleted
(:func:`hatool.backup.store.keep`). Reports file names and figures, never content.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hatool.action import HatoolAction
from hatool.backup.store import keep
from hatool.cluster.model import Cluster

DOCUMENTATION = r"""
module: hatool_etcd_backup
short_description: Check an etcd snapshot fetched to the controller and keep it
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
  incoming: {description: the fetched snapshot on the controller, required: true, type: path}
  member: {description: the member it was taken from, required: true, type: str}
  member_sha256: {description: its sha256 as computed on the member, required: true, type: str}
  status: {description: C(snapshot status -w json) of it, on the member, required: true, type: dict}
  etcd_version: {description: the member's server version, required: true, type: str}
  taken_at: {description: when it was taken, UTC C(YYYY-MM-DDTHH:MM:SSZ), required: true, type: str}
  retention: {description: snapshots of the cluster to keep, type: int, default: 7}
"""

EXAMPLES = r"""
- name: Check the snapshot and keep it
  hatool_etcd_backup:
    cluster: "{{ hatool }}"
    incoming: "{{ hatool.paths.backups }}/.incoming.db"
    member: master-1
    member_sha256: "{{ stat.stat.checksum }}"
    status: "{{ status.stdout | from_json }}"
    etcd_version: 3.4.23
    taken_at: "2025-01-01T00:00:00Z"
    retention: 7
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
snapshot: {description: the kept snapshot, type: str, returned: success}
metadata:
  description: what was recorded with it (sha256, members, revision, keys...)
  type: dict
  returned: success
removed:
  description: older snapshots deleted by the retention count
  type: list
  elements: str
  returned: success
"""


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        cluster = Cluster.from_fact(self.args["cluster"])
        when = dt.datetime.strptime(str(self.args["taken_at"]), "%Y-%m-%dT%H:%M:%SZ")
        kept = keep(
            Path(cluster.paths.backups).expanduser(),
            Path(str(self.args["incoming"])).expanduser(),
            cluster=cluster,
            member=str(self.args["member"]),
            member_sha256=str(self.args["member_sha256"]),
            status=dict(self.args["status"]),
            etcd_version=str(self.args["etcd_version"]),
            when=when.replace(tzinfo=dt.UTC),
            retention=int(self.args.get("retention", 7)),
        )
        metadata = kept.metadata
        return {
            "changed": True,
            "snapshot": str(kept.snapshot),
            "metadata": {**metadata.__dict__, "members": list(metadata.members)},
            "removed": [str(p) for p in kept.removed],
            "msg": (
                f"{kept.snapshot}: revision {metadata.revision}, {metadata.total_keys} keys, "
                f"hash {metadata.hash}, etcd {metadata.etcd_version}, from {metadata.taken_from}"
                + (f"; deleted {len(kept.removed)} older snapshot(s)" if kept.removed else "")
            ),
        }
