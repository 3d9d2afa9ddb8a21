"""Every group and variable an operator may set in an inventory: hatool's contract.

Two kinds of variables, each with one source of truth:

- **cluster variables** (topology, versions, ports, networks, leader election,
  artifacts) are defined here, in :data:`CLUSTER_VARIABLES`: no role owns them,
  and the roles read their resolved values from the cluster model
  (:mod:`hatool.cluster`), never from these names;
- **role variables** (``etcd_data_dir``, ``loadbalancer_max_fails``...) are
  defined by their role: the default in ``roles/<role>/defaults/main.yml``, the
  type and description in ``roles/<role>/meta/argument_specs.yml``. This module
  reads both, so validation, "did you mean", the README check and the cluster
  model see exactly what the role does.

Anything else a role uses is internal (``__<role>_...``): an inventory that
sets such a name is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hatool.inventory.yamlfile import safe_load
from hatool.paths import PROJECT_ROOT

#: Groups hatool knows. ``etcd`` is used only by the external topology.
GROUPS = {
    "control_plane": "the masters: kube-apiserver, kube-controller-manager, kube-scheduler "
    "(and etcd when stacked)",
    "loadbalancer": "nginx TCP load balancers in front of the API servers",
    "etcd": "the etcd members, only with etcd_topology: external",
}

#: Groups Ansible itself defines.
IMPLICIT_GROUPS = ("all", "ungrouped")

#: Roles whose public variables are part of the contract, in deploy order.
ROLES = (
    "certificates",
    "etcd",
    "kube_apiserver",
    "loadbalancer",
    "kube_controller_manager",
    "kube_scheduler",
)

#: The two active-passive components: binary, unit and Lease name -> role name.
ELECTED = {
    "kube-controller-manager": "kube_controller_manager",
    "kube-scheduler": "kube_scheduler",
}
#: Their secure ports (the releases' defaults), where /healthz answers on 127.0.0.1.
HEALTHZ_PORTS = {"kube-controller-manager": 10257, "kube-scheduler": 10259}

#: Variables a playbook takes on its command line (-e NAME=VALUE), never from an
#: inventory; validation knows them so it does not mistake them for typos.
PLAYBOOK_PARAMETERS = {
    "etcd_member": "playbooks/etcd-remove-member.yml: the member to remove",
    "restart_components": "playbooks/rolling-restart.yml: the components to restart (a list)",
}
TIMINGS = ("lease_duration", "renew_deadline", "retry_period")

#: Strings Ansible reads as booleans (its ``boolean`` filter and argument specs).
BOOLEAN_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "1", "0", "y", "n", "t", "f"})

#: argument_specs types -> Python types a value may have.
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "path": (str,),
    "int": (int,),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
    "raw": (object,),
}


@dataclass(frozen=True)
class Variable:
    """One variable of the contract."""

    name: str
    default: Any
    doc: str
    type: str = "raw"  # an argument_specs type: str, int, bool, list, path, raw
    role: str = "cluster"  # "cluster", or the role that owns it
    choices: tuple[Any, ...] = ()  # the values allowed, when the spec lists them

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has this variable's type (``None`` means "use the default")."""
        if value is None:
            return True
        if self.choices and value not in self.choices:
            return False
        allowed = _TYPES.get(self.type, (object,))
        if self.type == "int" and isinstance(value, bool):
            return False
        if self.type == "int" and isinstance(value, str):
            return value.isdigit()
        if self.type == "bool" and isinstance(value, str):
            # what Ansible takes as a boolean, such as -e name=true on the command line
            return value.strip().lower() in BOOLEAN_WORDS
        return isinstance(value, allowed)


def _cluster(name: str, default: Any, doc: str, type_: str = "str") -> Variable:
    return Variable(name, default, doc, type_)


CLUSTER_VARIABLES: tuple[Variable, ...] = (
    _cluster(
        "etcd_topology",
        "stacked",
        "`stacked`: an etcd member on each master (group `etcd` absent, or equal to "
        "`control_plane`); `external`: etcd on group `etcd`",
    ),
    _cluster(
        "cluster_name",
        "hatool",
        "a DNS label; names the per-cluster folder `<inventory dir>/.hatool/<cluster_name>/`",
    ),
    _cluster(
        "kube_version",
        "v1.35.0",
        "Kubernetes release: v1.20.x (the lab's offline build), v1.30.x, v1.31.x, v1.35.x",
    ),
    _cluster(
        "etcd_version",
        None,
        "etcd release; default: the one paired with `kube_version` (v3.4.23 for 1.20, "
        "v3.5.16 for 1.30/1.31, v3.6.5 for 1.35)",
    ),
    _cluster(
        "leader_elect_lease_duration", "15s", "Go duration: how long a leader's Lease is valid"
    ),
    _cluster(
        "leader_elect_renew_deadline",
        "10s",
        "how long a leader keeps trying to renew before it stops leading",
    ),
    _cluster("leader_elect_retry_period", "2s", "how often candidates try to acquire or renew"),
    *(
        _cluster(
            f"{role}_leader_elect_{timing}",
            None,
            f"per-component override of `leader_elect_{timing}` for {binary}",
        )
        for binary, role in ELECTED.items()
        for timing in TIMINGS
    ),
    _cluster("kube_apiserver_port", 6443, "port of every API server", "int"),
    _cluster("loadbalancer_port", 6443, "port of every load balancer", "int"),
    _cluster(
        "loadbalancer_vip",
        None,
        "a virtual IP address that keepalived (VRRP) keeps on one healthy load balancer; "
        "clients, the admin kubeconfig and `hatool verify` use it. Needs 2 or more load "
        "balancers on one network segment",
    ),
    _cluster(
        "kube_service_cidr",
        "10.96.0.0/12",
        "Service network; its first address is the `kubernetes` Service",
    ),
    _cluster(
        "kube_apiserver_extra_sans",
        [],
        "extra names and addresses for the API server certificate (a DNS name in front of "
        "the load balancers)",
        "list",
    ),
    _cluster(
        "deploy_skip_unchanged",
        True,
        "a re-run skips a role on its hosts when every file, unit and package it manages, "
        "and its inputs, are as it left them (README, Re-runs that change nothing); "
        "`false` runs every task",
        "bool",
    ),
    _cluster(
        "artifact_source",
        "official",
        "`official`: dl.k8s.io and etcd's GitHub releases; `mirror`: `artifact_mirror_url`",
    ),
    _cluster(
        "artifact_mirror_url",
        None,
        "with `mirror`: a base URL laid out like hatool's artifact cache (the lab sets it)",
    ),
    _cluster(
        "artifact_mirror_versions",
        [],
        "with `mirror`: Kubernetes versions the mirror holds besides the offline build",
        "list",
    ),
)

#: Host variables that are not cluster-wide.
HOST_VARIABLES = {
    "ansible_host": "address hatool and Ansible reach the host at (IP address or host name)",
}

#: Variables starting with these prefixes belong to Ansible, never typos of ours.
FOREIGN_PREFIXES = ("ansible_",)
#: Internal variables of hatool's roles: never set in an inventory.
INTERNAL_PREFIX = "__"

#: Other tools' names for hatool's settings (kubespray, kubeadm, k0s, RKE2).
ALIASES = {
    "kube_service_addresses": "kube_service_cidr",
    "service_cidr": "kube_service_cidr",
    "service_subnet": "kube_service_cidr",
    "serviceSubnet": "kube_service_cidr",
    "service_cluster_ip_range": "kube_service_cidr",
    "kube_apiserver_bind_port": "kube_apiserver_port",
    "apiserver_port": "kube_apiserver_port",
    "bindPort": "kube_apiserver_port",
    "secure_port": "kube_apiserver_port",
    "loadbalancer_apiserver_port": "loadbalancer_port",
    "kubernetesVersion": "kube_version",
    "kubernetes_version": "kube_version",
    "clusterName": "cluster_name",
    "etcd_deployment_type": "etcd_topology",
    "etcd_servers": "etcd_topology",
    "etcd_endpoints": "etcd_topology",
    "etcd_external_endpoints": "etcd_topology",
    "certSANs": "kube_apiserver_extra_sans",
    "supplementary_addresses_in_ssl_keys": "kube_apiserver_extra_sans",
    "apiserver_cert_extra_sans": "kube_apiserver_extra_sans",
    "tls_san": "kube_apiserver_extra_sans",
    "etcd_data_directory": "etcd_data_dir",
    "etcd_cert_dir": "etcd_pki_dir",
    "kube_cert_dir": "kube_apiserver_pki_dir",
}

#: Names of earlier hatool releases -> what to set now. The ``cluster`` role's
#: ``cluster_*`` values were worked out from the inventory; they are now parts of
#: the cluster model, never set directly.
RENAMED = {
    "cluster_etcd_topology": "etcd_topology",
    "cluster_kube_version": "kube_version",
    "cluster_etcd_version": "etcd_version",
    "cluster_kube_apiserver_port": "kube_apiserver_port",
    "cluster_loadbalancer_port": "loadbalancer_port",
    "cluster_etcd_client_port": "etcd_client_port",
    "cluster_service_cidr": "kube_service_cidr",
    "cluster_apiserver_extra_sans": "kube_apiserver_extra_sans",
    "cluster_leader_elect_lease_duration": "leader_elect_lease_duration",
    "cluster_leader_elect_renew_deadline": "leader_elect_renew_deadline",
    "cluster_leader_elect_retry_period": "leader_elect_retry_period",
    "cluster_artifact_source": "artifact_source",
    "cluster_etcd_members": "etcd_topology",
    "cluster_etcd_versions": "etcd_version",
    "cluster_kube_minor": "kube_version",
    "cluster_dir": "cluster_name",
    "cluster_kube_download_base": "artifact_mirror_url",
    "cluster_etcd_download_base": "artifact_mirror_url",
    "certificates_admin_server": "loadbalancer_port",
    "certificates_local_server": "kube_apiserver_port",
}


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(data)


def role_variables(role: str, roles_dir: Path | None = None) -> list[Variable]:
    """A role's public variables: default from defaults/main.yml, type and doc from its spec."""
    base = (roles_dir or PROJECT_ROOT / "roles") / role
    defaults = _read_yaml(base / "defaults" / "main.yml")
    specs = _read_yaml(base / "meta" / "argument_specs.yml")
    options = (specs.get("argument_specs") or {}).get("main", {}).get("options") or {}
    variables = []
    for name, spec in options.items():
        if name == "hatool":
            continue  # the cluster model every role is handed, not an operator's setting
        variables.append(
            Variable(
                name,
                defaults.get(name),
                str(spec.get("description", "")),
                str(spec.get("type", "raw")),
                role,
                tuple(spec.get("choices") or ()),
            )
        )
    return variables


@cache
def variables() -> dict[str, Variable]:
    """Every variable of the contract, by name: the cluster's, then each role's."""
    table = {v.name: v for v in CLUSTER_VARIABLES}
    for role in ROLES:
        for variable in role_variables(role):
            table.setdefault(variable.name, variable)
    return table


def default(name: str) -> Any:
    return variables()[name].default
