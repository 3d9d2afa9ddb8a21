"""Rules on groups, their sizes and the etcd topology."""

from __future__ import annotations

from hatool.cluster.quorum import member_count_problem
from hatool.cluster.resolve import etcd_group, etcd_member_names, topology
from hatool.inventory.contract import GROUPS
from hatool.inventory.findings import ERROR, WARNING, Findings, declare
from hatool.inventory.model import Model


@declare(
    ("group-missing", ERROR, "`control_plane`, `loadbalancer` (and `etcd` when external) exist"),
    ("group-empty", ERROR, "each of those groups has hosts"),
)
def required_groups(model: Model, out: Findings) -> None:
    required = ["control_plane", "loadbalancer"]
    if topology(model) == "external":
        required.append("etcd")
    for group in required:
        if group not in model.groups:
            message = f"{group}: the group is missing; hatool needs {GROUPS[group]}"
            out.add("group-missing", ERROR, message, group=group)
        elif not model.hosts_of(group):
            message = f"{group}: the group has no hosts; hatool needs {GROUPS[group]}"
            out.add("group-empty", ERROR, message, group=group)


@declare(("group-unknown", WARNING, "a host in a group hatool does not use"))
def unknown_groups(model: Model, out: Findings) -> None:
    known = set(GROUPS) | {"all"}
    for group, hosts in model.groups.items():
        if group in known or not hosts:
            continue
        for host in hosts:
            if model.group_of(host) is None:
                out.add(
                    "group-unknown",
                    WARNING,
                    f"{host} is only in group {group}, which hatool does not know; hatool "
                    f"deploys nothing to it (known groups: {', '.join(GROUPS)})",
                    group=group,
                    host=host,
                )


@declare(
    (
        "etcd-member-count",
        "either",
        "etcd members must be odd; 2 tolerates no failure, worse than 1 (1 is a warning)",
    )
)
def etcd_size(model: Model, out: Findings) -> None:
    count = len(etcd_member_names(model))
    problem = member_count_problem(count) if count else None
    if problem:
        severity = WARNING if count == 1 else ERROR
        out.add("etcd-member-count", severity, problem, group=etcd_group(model))


@declare(
    ("control-plane-size", WARNING, "fewer than 3 masters is not highly available"),
    (
        "loadbalancer-single",
        WARNING,
        "one load balancer is a single point of failure (add one, and set `loadbalancer_vip`)",
    ),
)
def sizes(model: Model, out: Findings) -> None:
    masters = len(model.hosts_of("control_plane"))
    if 0 < masters < 3:
        out.add(
            "control-plane-size",
            WARNING,
            f"control_plane: {masters} host(s): the control plane is not highly available "
            "(leader election needs a standby on another host, and losing one API server "
            "host must leave others); use 3 or more",
            group="control_plane",
        )
    lbs = model.hosts_of("loadbalancer")
    if len(lbs) == 1:
        out.add(
            "loadbalancer-single",
            WARNING,
            f"loadbalancer: {lbs[0]} is the only load balancer, a single point of failure for "
            "every client that uses it; add a second one and set loadbalancer_vip, a virtual "
            "IP that keepalived keeps on a healthy one",
            group="loadbalancer",
        )


@declare(
    ("topology-invalid", ERROR, "`etcd_topology` is stacked or external"),
    ("topology-stacked-etcd-group", ERROR, "with stacked, group `etcd` is absent or the masters"),
    ("topology-external-overlap", ERROR, "with external, no etcd host is also a master"),
)
def etcd_topology(model: Model, out: Findings) -> None:
    value = model.value("etcd_topology")
    if value not in ("stacked", "external"):
        message = f"etcd_topology is {value!r}; use stacked or external"
        out.add("topology-invalid", ERROR, message, variable="etcd_topology")
        return
    masters = set(model.hosts_of("control_plane"))
    etcd = model.hosts_of("etcd")
    if value == "stacked" and "etcd" in model.groups and set(etcd) != masters:
        out.add(
            "topology-stacked-etcd-group",
            ERROR,
            f"etcd_topology is stacked, so etcd runs on the control_plane hosts, but group "
            f"etcd holds {', '.join(etcd) or 'no hosts'}; remove group etcd, make it equal to "
            "control_plane, or set etcd_topology: external",
            group="etcd",
            variable="etcd_topology",
        )
    if value == "external":
        for host in etcd:
            if host in masters:
                out.add(
                    "topology-external-overlap",
                    ERROR,
                    f"etcd_topology is external, but {host} is in both etcd and control_plane; "
                    "external etcd members must be their own hosts (or use stacked)",
                    group="etcd",
                    host=host,
                )
