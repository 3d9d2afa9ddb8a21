"""Action plugin: may this etcd snapshot be restored onto this cluster? Asked before anything stops.

The same check as ``hatool restore`` (:func:`hatool.backup.store.check_restorable`):
the snapshot's sha256 against the one recorded when it was kept, etcd's
integrity hash inside it, and the cluster name and etcd members recorded
with it. Runs on the controller; contacts no host; changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatool.action import HatoolAction
from hatool.backup.store import check_restorable
from hatool.cluster.model import Cluster

DOCUMENTATION = r"""
module: hatool_etcd_snapshot_check
short_description: Refuse an etcd snapshot that is damaged or belongs to another cluster
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
  snapshot: {description: the snapshot file on the controller, required: true, type: path}
  other_members:
    description: accept a snapshot of this cluster taken while it had other etcd members
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Check the snapshot before anything is stopped
  hatool_etcd_snapshot_check:
    cluster: "{{ hatool }}"
    snapshot: /srv/inventory/.hatool/prod/backups/etcd-prod-20250101T000000Z.db
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
metadata: {description: what was recorded with the snapshot, type: dict, returned: success}
"""


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        cluster = Cluster.from_fact(self.args["cluster"])
        snapshot = Path(str(self.args["snapshot"])).expanduser()
        metadata = check_restorable(
            cluster, snapshot, other_members=bool(self.args.get("other_members", False))
        )
        return {
            "metadata": {**metadata.__dict__, "members": list(metadata.members)},
            "msg": (
                f"{snapshot.name}: sha256 and integrity hash hold; taken {metadata.taken_at} "
                f"from {metadata.taken_from} of cluster {metadata.cluster} "
                f"({', '.join(metadata.members)}), revision {metadata.revision}, "
                f"{metadata.total_keys} keys"
            ),
        }
