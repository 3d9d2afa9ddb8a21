"""The validation test inventories: each rule's case, with the words its message must carry."""

from __future__ import annotations

from pathlib import Path

from hatool.paths import PROJECT_ROOT

INVENTORIES = PROJECT_ROOT / "tests" / "inventories"

#: inventory folder -> (rule id, severity, words the message must contain)
CASES: dict[str, tuple[str, str, list[str]]] = {
    "group-missing": ("group-missing", "error", ["loadbalancer: the group is missing"]),
    "group-empty": ("group-empty", "error", ["control_plane: the group has no hosts"]),
    "group-unknown": ("group-unknown", "warning", ["mon-1 is only in group monitoring"]),
    "etcd-member-count": (
        "etcd-member-count", "error",
        ["etcd: 2 members tolerate no failure", "worse than 1", "use 3 or 5"],
    ),
    "etcd-member-count-even": (
        "etcd-member-count", "error", ["etcd: 4 members tolerate 1 failure(s)", "(3 or 5)"],
    ),
    "ini-etcd-member-count": ("etcd-member-count", "error", ["etcd: 2 members tolerate no failure"]),
    "control-plane-size": (
        "control-plane-size", "warning", ["control_plane: 2 host(s)", "not highly available"],
    ),
    "loadbalancer-single": (
        "loadbalancer-single", "warning",
        ["lb-1 is the only load balancer", "single point of failure", "set loadbalancer_vip"],
    ),
    "loadbalancer-vip-invalid": (
        "loadbalancer-vip-invalid", "error", ["loadbalancer_vip 'api.example.test' is not an IP address"],
    ),
    "loadbalancer-vip-taken": (
        "loadbalancer-vip-taken", "error", ["loadbalancer_vip 127.0.1.10 is lb-1's own address"],
    ),
    "loadbalancer-vip-service-cidr": (
        "loadbalancer-vip-service-cidr", "error", ["loadbalancer_vip 10.96.0.50 is inside kube_service_cidr"],
    ),
    "loadbalancer-vip-needs-two": (
        "loadbalancer-vip-needs-two", "error", ["group loadbalancer has 1 host(s)", "remove loadbalancer_vip"],
    ),
    "loadbalancer-vrrp-router-id": (
        "loadbalancer-vrrp-router-id", "error", ["loadbalancer_vrrp_router_id is 300; use 1-255"],
    ),
    "topology-invalid": ("topology-invalid", "error", ["etcd_topology is 'hybrid'"]),
    "topology-stacked-etcd-group": (
        "topology-stacked-etcd-group", "error", ["group etcd holds etcd-1"],
    ),
    "topology-external-overlap": (
        "topology-external-overlap", "error", ["master-1 is in both etcd and control_plane"],
    ),
    "cluster-value-differs": (
        "cluster-value-differs", "error", ["kube_version must be the same on every host", "'v1.30.2' on master-2"],
    ),
    "cluster-name-invalid": ("cluster-name-invalid", "error", ["cluster_name 'Prod_Cluster'"]),
    "host-address-missing": ("host-address-missing", "error", ["master-2 has no ansible_host"]),
    "host-address-invalid": (
        "host-address-invalid", "error", ["master-2: ansible_host '127.0.1.300' is neither"],
    ),
    "host-address-duplicate": (
        "host-address-duplicate", "error", ["lb-2 and lb-1 share the address 127.0.1.10"],
    ),
    "port-invalid": ("port-invalid", "error", ["kube_apiserver_port is 70000"]),
    "loadbalancer-port-conflict": (
        "loadbalancer-port-conflict", "error",
        ["load balancer master-1 runs on control-plane host master-1", "listens on 6443"],
    ),
    "service-cidr-invalid": ("service-cidr-invalid", "error", ["kube_service_cidr '10.96.0.1/12'"]),
    "service-cidr-contains-host": (
        "service-cidr-contains-host", "error", ["127.0.0.0/16 contains master-1's address 127.0.1.1"],
    ),
    "duration-invalid": (
        "duration-invalid", "error", ["leader_elect_lease_duration for kube-controller-manager", "has no unit"],
    ),
    "leader-election-timing": (
        "leader-election-timing", "error",
        ["lease duration 10s, renew deadline 10s, retry period 2s",
         "lease duration 10s must be greater than renew deadline 10s"],
    ),
    "leader-election-jitter": (
        "leader-election-timing", "error",
        ["kube-scheduler: lease duration 15s, renew deadline 10s, retry period 9s",
         "must be greater than 1.2 x retry period = 10.8s"],
    ),
    "kube-version-invalid": ("kube-version-invalid", "error", ["kube_version '1.31'"]),
    "kube-version-unsupported": (
        "kube-version-unsupported", "error", ["kube_version v1.18.3", "not v1.18"],
    ),
    "etcd-version-invalid": ("etcd-version-invalid", "error", ["etcd_version 'latest'"]),
    "etcd-version-unsupported": (
        "etcd-version-unsupported", "error",
        ["etcd_version v3.6.5: Kubernetes v1.20 runs with etcd 3.4 or 3.5, not 3.6"],
    ),
    "artifact-source-invalid": ("artifact-source-invalid", "error", ["artifact_source is 'ftp'"]),
    "artifact-mirror-url": ("artifact-mirror-url", "error", ["artifact_mirror_url must be an http(s) URL"]),
    "artifact-source-version": (
        "artifact-source-version", "error", ["kube_version v1.31.4 is not available from artifact_source mirror"],
    ),
    "etcd-member-removed": (
        "etcd-member-removed", "error",
        ["etcd-4 is a member of the cluster's etcd", "no longer in group etcd",
         "playbooks/etcd-remove-member.yml -e etcd_member=etcd-4"],
    ),
    "variable-unknown": (
        "variable-unknown", "error",
        ["leader_elect_lease_duraton is not a variable hatool knows; did you mean leader_elect_lease_duration?"],
    ),
    "variable-unknown-alias": (
        "variable-unknown", "error",
        ["kube_service_addresses is not a variable hatool knows; did you mean kube_service_cidr? "
         "(kube_service_addresses is another tool's name for it)"],
    ),
    "variable-unknown-renamed": (
        "variable-unknown", "error",
        ["cluster_etcd_members is not a variable hatool knows; did you mean etcd_topology? "
         "(cluster_etcd_members was an internal value of an earlier hatool"],
    ),
    "variable-unknown-contains": (
        "variable-unknown", "error", ["my_etcd_data_dir is not a variable hatool knows; did you mean etcd_data_dir?"],
    ),
    "variable-internal": (
        "variable-internal", "error", ["__etcd_joiners is internal to hatool's roles", "remove it"],
    ),
    "variable-type": (
        "variable-type", "error", ["loadbalancer_max_fails is 'many', but roles/loadbalancer takes a int"],
    ),
    "etcd-port-conflict": (
        "etcd-port-conflict", "error", ["etcd_client_port and etcd_peer_port are both 2379"],
    ),
    "restart-delay": (
        "restart-delay", "error",
        ["kube_controller_manager_restart_delay is 4s, but it must be longer than 2 x 1.2 x the retry "
         "period = 4.8s", "use at least 5s"],
    ),
    "topology-switch": (
        "topology-switch", "error",
        ["deployed with etcd_topology external; the inventory now says stacked"],
    ),
}  # fmt: skip

#: Inventories that are not a rule's case.
NOT_CASES = {"valid", "unusable", "dir-group-vars"}


def inventory_of(case: str) -> Path:
    folder = INVENTORIES / case
    return next(p for p in sorted(folder.iterdir()) if p.is_file())
