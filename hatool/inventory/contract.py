"""Every group and variable of hatool's inventory contract, with defaults and docs.

This table is the one source of truth for the defaults the validation
assumes, for "did you mean" suggestions, and for the contract in the README.
The roles' ``defaults/main.yml`` derive their values from these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hatool.versions import DEFAULT_KUBE_VERSION

#: Groups hatool knows. ``etcd`` is used only by the external topology.
GROUPS = {
    "control_plane": "the masters: kube-apiserver, kube-controller-manager, kube-scheduler "
    "(and etcd when stacked)",
    "loadbalancer": "nginx TCP load balancers in front of the API servers",
    "etcd": "the etcd members, only with etcd_topology: external",
}

#: Groups Ansible itself defines.
IMPLICIT_GROUPS = ("all", "ungrouped")


@dataclass(frozen=True)
class Variable:
    name: str
    default: Any
    doc: str
    cluster_wide: bool = True  # must have the same value on every host


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable(
            "etcd_topology",
            "stacked",
            "`stacked`: an etcd member on each control-plane host; "
            "`external`: etcd on the hosts of group `etcd`",
        ),
        Variable("cluster_name", "hatool", "name of the cluster (a DNS label)"),
        Variable("kube_version", DEFAULT_KUBE_VERSION, "Kubernetes release to install, vX.Y.Z"),
        Variable("etcd_version", None, "etcd release; default: the one paired with kube_version"),
        Variable(
            "leader_elect_lease_duration",
            "15s",
            "how long a leader's lease is valid (Go duration), controller manager and scheduler",
        ),
        Variable(
            "leader_elect_renew_deadline",
            "10s",
            "how long a leader keeps trying to renew before it gives up leading",
        ),
        Variable(
            "leader_elect_retry_period",
            "2s",
            "how often candidates try to acquire or renew the lease",
        ),
        *(
            Variable(
                f"{component}_leader_elect_{timing}",
                None,
                f"per-component override of leader_elect_{timing} for {component}",
            )
            for component in ("kube_controller_manager", "kube_scheduler")
            for timing in ("lease_duration", "renew_deadline", "retry_period")
        ),
        Variable("kube_apiserver_port", 6443, "port the API servers listen on"),
        Variable("loadbalancer_port", 6443, "port the load balancers listen on"),
        Variable(
            "kube_service_cidr",
            "10.96.0.0/12",
            "network for Service cluster IPs; its first address is the `kubernetes` Service",
        ),
        Variable(
            "kube_apiserver_extra_sans", [], "extra names and addresses for the API certificate"
        ),
        Variable(
            "artifact_source",
            "official",
            "`official`: dl.k8s.io and etcd's GitHub releases; `mirror`: `artifact_mirror_url`",
        ),
        Variable(
            "artifact_mirror_url",
            None,
            "with artifact_source mirror: base URL serving hatool's artifact cache layout",
        ),
        Variable(
            "artifact_mirror_versions",
            [],
            "with artifact_source mirror: Kubernetes versions the mirror holds "
            "besides the offline build",
        ),
    )
}

#: Host variables that are not cluster-wide.
HOST_VARIABLES = {
    "ansible_host": "address hatool and Ansible reach the host at (IP address or host name)",
}

#: Variables starting with these prefixes belong to Ansible or to roles, never typos of ours.
FOREIGN_PREFIXES = ("ansible_", "__")


def default(name: str) -> Any:
    return VARIABLES[name].default
