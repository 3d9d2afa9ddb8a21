"""Where a cluster's files live on the controller: its folder next to the inventory.

Part of the resolved cluster (:class:`hatool.cluster.model.Cluster`, which
re-exports these names).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """The cluster's files on the controller, in its folder next to the inventory."""

    cluster_dir: str
    pki: str
    admin_kubeconfig: str
    kubeconfigs: str
    record: str
    #: the break-glass kubeconfig (system:masters): kept on the controller only
    super_admin_kubeconfig: str
    #: the keys that encrypt Secrets at rest, and the EncryptionConfiguration made from them
    encryption: str
    #: etcd snapshots, each with its sha256 and metadata
    backups: str

    @classmethod
    def under(cls, folder: str) -> Paths:
        names = (
            "pki", "admin.conf", "kubeconfigs", "cluster.json", "super-admin.conf", "encryption",
            "backups",
        )  # fmt: skip
        return cls(folder, *(f"{folder}/{name}" for name in names))


def cluster_dir(inventory_dir: str | Path, cluster_name: str) -> Path:
    """Where a cluster's certificates, kubeconfigs and record live.

    ``<inventory dir>/.hatool/<cluster name>``: next to the inventory, in a
    dot-folder that Ansible never reads as inventory.
    """
    return Path(inventory_dir) / ".hatool" / cluster_name
