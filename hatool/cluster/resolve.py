"""Build the :class:`~hatool.cluster.model.Cluster` from an inventory, once.

Validation rules check the raw inventory (:class:`~hatool.inventory.model.Model`)
first; :func:`resolve` then turns a valid inventory into the cluster every
entrance reads. The small functions here that answer "which value applies"
(the etcd members of a topology, a component's timings) are what the rules use
too, so a rule and the model never disagree about it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatool.cluster.model import (
    ApiServer,
    Artifacts,
    Certificates,
    Cluster,
    Component,
    Election,
    Etcd,
    EtcdMember,
    Host,
    LoadBalancers,
    Paths,
    cluster_dir,
    first_service_ip,
)
from hatool.errors import HatoolError
from hatool.inventory.contract import ELECTED, TIMINGS
from hatool.inventory.model import Model
from hatool.versions import release_for

OFFICIAL_KUBE_BASE = "https://dl.k8s.io/release"
OFFICIAL_ETCD_BASE = "https://github.com/etcd-io/etcd/releases/download"


def topology(model: Model) -> str:
    return str(model.value("etcd_topology"))


def etcd_group(model: Model) -> str:
    """The group whose hosts are the etcd members."""
    return "etcd" if topology(model) == "external" else "control_plane"


def etcd_member_names(model: Model) -> list[str]:
    return model.hosts_of(etcd_group(model))


def timing_variable(model: Model, role: str, timing: str) -> str:
    """The variable that sets ``timing`` for component ``role``: its own, else the shared one."""
    specific = f"{role}_leader_elect_{timing}"
    return specific if model.is_set(specific) else f"leader_elect_{timing}"


def election_values(model: Model, role: str) -> dict[str, tuple[str, Any]]:
    """timing -> (the variable that sets it, its raw value) for the component ``role``."""
    chosen = {}
    for timing in TIMINGS:
        variable = timing_variable(model, role, timing)
        chosen[timing] = (variable, model.value(variable))
    return chosen


def address(model: Model, host: str) -> str:
    return str(model.hostvars.get(host, {}).get("ansible_host") or host)


def _url(scheme_host: str, port: int) -> str:
    host = f"[{scheme_host}]" if ":" in scheme_host else scheme_host
    return f"https://{host}:{port}"


def resolve(model: Model, inventory_dir: str | Path | None) -> Cluster:
    """The cluster a valid inventory describes.

    ``inventory_dir`` is Ansible's ``inventory_dir``: the cluster's folder is
    ``<inventory_dir>/.hatool/<cluster_name>``.
    """
    name = str(model.value("cluster_name"))
    kube_version = str(model.value("kube_version"))
    release = release_for(kube_version)
    if release is None:
        raise HatoolError(f"kube_version {kube_version} is not supported; validate the inventory")
    etcd_version = str(model.value("etcd_version") or release.etcd_version)
    client_port = int(model.value("etcd_client_port"))
    peer_port = int(model.value("etcd_peer_port"))
    members = tuple(
        EtcdMember(
            host,
            address(model, host),
            _url(address(model, host), client_port),
            _url(address(model, host), peer_port),
        )
        for host in etcd_member_names(model)
    )
    etcd = Etcd(
        version=etcd_version,
        minor=_etcd_minor(etcd_version),
        members=members,
        client_port=client_port,
        peer_port=peer_port,
        data_dir=str(model.value("etcd_data_dir")),
        pki_dir=str(model.value("etcd_pki_dir")),
        install_dir=str(model.value("etcd_install_dir")),
        env_file=str(model.value("etcd_env_file")),
        initial_cluster_token=str(model.value("etcd_initial_cluster_token") or f"{name}-etcd"),
    )
    masters = tuple(Host(h, address(model, h)) for h in model.hosts_of("control_plane"))
    everyone = etcd.endpoints()
    service_cidr = str(model.value("kube_service_cidr"))
    apiserver = ApiServer(
        port=int(model.value("kube_apiserver_port")),
        pki_dir=str(model.value("kube_apiserver_pki_dir")),
        service_cidr=service_cidr,
        first_service_ip=first_service_ip(service_cidr),
        extra_sans=tuple(str(s) for s in model.value("kube_apiserver_extra_sans") or ()),
        etcd_servers={m.name: everyone for m in masters},
    )
    lbs = tuple(Host(h, address(model, h)) for h in model.hosts_of("loadbalancer"))
    if not lbs:
        raise HatoolError("the inventory has no load balancer; validate the inventory")
    components = tuple(
        Component(
            binary,
            role,
            Election(*(str(value) for _, value in election_values(model, role).values())),
            str(model.value(f"{role}_restart_delay")),
            str(model.value(f"{role}_kubeconfig")),
        )
        for binary, role in ELECTED.items()
    )
    folder = (
        cluster_dir(inventory_dir, name) if inventory_dir is not None else Path(".hatool", name)
    )
    return Cluster(
        name=name,
        topology=topology(model),
        kube_version=kube_version,
        kube_minor=release.minor.removeprefix("v"),
        masters=masters,
        etcd=etcd,
        apiserver=apiserver,
        loadbalancers=LoadBalancers(lbs, int(model.value("loadbalancer_port")), lbs[0]),
        components=components,
        artifacts=_artifacts(model),
        paths=Paths.under(str(folder)),
        certificates=Certificates(int(model.value("certificates_renew_before_days"))),
    )


def _etcd_minor(version: str) -> str:
    parts = version.removeprefix("v").split(".")
    return ".".join(parts[:2])


def _artifacts(model: Model) -> Artifacts:
    source = str(model.value("artifact_source"))
    if source == "mirror":
        base = str(model.value("artifact_mirror_url")).rstrip("/")
        return Artifacts(source, f"{base}/kubernetes/release", f"{base}/etcd/releases/download")
    return Artifacts(source, OFFICIAL_KUBE_BASE, OFFICIAL_ETCD_BASE)
