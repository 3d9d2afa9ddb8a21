"""Rules against what the last deploy recorded in ``.hatool/<cluster>/cluster.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hatool.cluster.model import cluster_dir
from hatool.cluster.resolve import etcd_group, etcd_member_names, topology
from hatool.inventory.findings import ERROR, Findings, Record, declare
from hatool.inventory.model import Model


def read_record(model: Model, inventory_dir: str | None) -> Record | None:
    """The last deploy's record for this inventory's cluster, if there is one."""
    if not inventory_dir:
        return None
    path = cluster_dir(inventory_dir, str(model.value("cluster_name"))) / "cluster.json"
    data = _read(path)
    return Record(str(path), data) if data else None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@declare(
    (
        "topology-switch",
        ERROR,
        "the inventory asks for another topology than the one deployed (recorded in "
        "`.hatool/<cluster>/cluster.json`); switching is not supported",
    )
)
def topology_switch(model: Model, out: Findings) -> None:
    if out.record is None:
        return
    before = out.record.data.get("etcd_topology")
    now = model.value("etcd_topology")
    if before and now in ("stacked", "external") and before != now:
        out.add(
            "topology-switch",
            ERROR,
            f"this cluster was deployed with etcd_topology {before}; the inventory now says "
            f"{now}. Switching an existing cluster's topology is not supported: it would "
            f"start a new, empty etcd. Keep etcd_topology: {before} (record: {out.record.path})",
            variable="etcd_topology",
        )


@declare(
    (
        "etcd-member-removed",
        ERROR,
        "an etcd member recorded in `cluster.json` is gone from the inventory; remove it with "
        "`playbooks/etcd-remove-member.yml` (a master: `playbooks/remove-master.yml`) first, "
        "since it still counts in the quorum",
    )
)
def removed_members(model: Model, out: Findings) -> None:
    """An etcd member dropped from the inventory still counts in the cluster's quorum."""
    if out.record is None or out.record.data.get("etcd_topology") != topology(model):
        return  # nothing recorded, or topology_switch reports it
    now = set(etcd_member_names(model))
    group = etcd_group(model)
    for host in out.record.data.get("etcd_members") or []:
        if host in now:
            continue
        how = (
            f"remove it from the cluster first, with the inventory that still lists it: "
            f"ansible-playbook -i INVENTORY playbooks/etcd-remove-member.yml -e etcd_member={host}"
            if group == "etcd"
            else "with stacked etcd a master is an etcd member: put it back, and remove the "
            "master (with its member, even if its host is gone) with the inventory that still "
            "lists it: ansible-playbook -i INVENTORY playbooks/remove-master.yml "
            f"-e master={host}"
        )
        out.add(
            "etcd-member-removed",
            ERROR,
            f"{host} is a member of the cluster's etcd (record: {out.record.path}) but is no "
            f"longer in group {group}: without it the remaining members may lose quorum; {how}",
            group=group,
            host=host,
        )
