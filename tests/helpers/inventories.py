"""Inventories built in memory, and the cluster and verify target they resolve to."""

from __future__ import annotations

from typing import Any

from hatool.cluster.model import Cluster
from hatool.cluster.resolve import resolve
from hatool.inventory.model import Model, from_hostvars
from hatool.verify.target import Target, target


def model(
    extra: dict[str, Any] | None = None,
    topology: str = "stacked",
    *,
    masters: int = 3,
    lbs: int = 1,
    prefix: str = "127.0.9",
) -> Model:
    """Masters m1.., load balancers lb/lb2.., etcd hosts e1.. when external; loopback addresses."""
    groups = {
        "control_plane": [f"m{i}" for i in range(1, masters + 1)],
        "loadbalancer": ["lb", *(f"lb{i}" for i in range(2, lbs + 1))],
    }
    if topology == "external":
        groups["etcd"] = ["e1", "e2", "e3"]
    shared = {"etcd_topology": topology, "ansible_user": "ops", **(extra or {})}
    hosts = [h for g in groups.values() for h in g]
    groups["all"] = hosts
    hostvars = {h: {**shared, "ansible_host": f"{prefix}.{i}"} for i, h in enumerate(hosts, 1)}
    return from_hostvars("inv.yml", groups, hostvars)


def cluster_of(inventory: Model, inventory_dir: str = ".") -> Cluster:
    return resolve(inventory, inventory_dir)


def target_of(inventory: Model, inventory_dir: str = ".") -> Target:
    return target(inventory.source, cluster_of(inventory, inventory_dir), inventory.hostvars)
