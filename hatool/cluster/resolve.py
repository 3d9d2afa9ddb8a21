"""Build the :class:`~hatool.cluster.model.Cluster` from an inventory, once.

Validation rules check the raw inventory (:class:`~hatool.inventory.model.Model`)
first; :func:`resolve` then turns a valid inventory into the cluster every
entrance reads. The small functions here that answer "which value applies"
(the etcd members of a topology, a component's timings) are what the rules use
too, so a rule and the model never disagree about it.
"""

from __future__ import annotations

import hashlib
import math
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
    Vrrp,
    cluster_dir,
    first_service_ip,
)
from hatool.errors import HatoolError
from hatool.inventory.contract import ELECTED, HEALTHZ_PORTS, TIMINGS
from hatool.inventory.durations import parse_duration
from hatool.inventory.model import Model
from hatool.security.policy import security
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
    # Stacked: each API server uses only the member beside it, over loopback. etcd's
    # client (3.4: gRPC round robin over every member) keeps sending requests to a
    # member that is cut off until keepalive gives up on it, so with every member
    # listed, losing a whole master made the surviving API servers hang (README,
    # Verify). External: every member.
    local = f"https://127.0.0.1:{client_port}"
    everyone = etcd.endpoints()
    service_cidr = str(model.value("kube_service_cidr"))
    apiserver = ApiServer(
        port=int(model.value("kube_apiserver_port")),
        pki_dir=str(model.value("kube_apiserver_pki_dir")),
        service_cidr=service_cidr,
        first_service_ip=first_service_ip(service_cidr),
        extra_sans=tuple(str(s) for s in model.value("kube_apiserver_extra_sans") or ()),
        etcd_servers={m.name: local if topology(model) == "stacked" else everyone for m in masters},
        shutdown_delay=str(model.value("kube_apiserver_shutdown_delay")),
        shutdown_watch_grace=str(model.value("kube_apiserver_shutdown_watch_grace")),
        stop_timeout=_stop_timeout(model),
        ready_consecutive=int(model.value("kube_apiserver_ready_consecutive")),
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
            HEALTHZ_PORTS[binary],
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
        loadbalancers=_loadbalancers(model, name, lbs),
        components=components,
        artifacts=_artifacts(model),
        paths=Paths.under(str(folder)),
        security=security(
            kube_version,
            etcd_version,
            csr_signer=bool(model.value("kube_controller_manager_csr_signer")),
            terminated_pod_gc_threshold=int(
                model.value("kube_controller_manager_terminated_pod_gc_threshold")
            ),
        ),
        certificates=Certificates(int(model.value("certificates_renew_before_days"))),
        skip_unchanged=_flag(model.value("deploy_skip_unchanged")),
    )


def _flag(value: Any) -> bool:
    """A boolean variable as Ansible reads it (``-e name=false`` is a string)."""
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "true", "on", "1", "y", "t"}
    return bool(value)


#: Added to a graceful stop's own time before systemd kills the API server.
STOP_MARGIN = 60


def _stop_timeout(model: Model) -> int:
    """Seconds systemd gives a stopping API server: its shutdown delay, the watches'
    grace period and a margin for the requests still running."""
    spans = ("kube_apiserver_shutdown_delay", "kube_apiserver_shutdown_watch_grace")
    return STOP_MARGIN + math.ceil(sum(parse_duration(model.value(v)) for v in spans))


#: Name of the virtual IP where a host name is wanted (verify's rows, the admin kubeconfig).
VIP_NAME = "virtual-ip"


def vrrp_router_id(cluster_name: str) -> int:
    """A VRRP router id from the cluster's name: two clusters on one segment differ."""
    return 1 + int(hashlib.sha256(cluster_name.encode()).hexdigest(), 16) % 255


def _loadbalancers(model: Model, name: str, lbs: tuple[Host, ...]) -> LoadBalancers:
    port = int(model.value("loadbalancer_port"))
    engine = str(model.value("loadbalancer_engine"))
    vip = model.value("loadbalancer_vip")
    if not vip:
        return LoadBalancers(lbs, port, engine, lbs[0])
    vrrp = Vrrp(
        router_id=int(model.value("loadbalancer_vrrp_router_id") or vrrp_router_id(name)),
        auth=hashlib.sha256(f"hatool-vrrp-{name}".encode()).hexdigest()[:8],
        advert_int=int(model.value("loadbalancer_vrrp_advert_int")),
        check_interval=int(model.value("loadbalancer_vrrp_check_interval")),
        check_fall=int(model.value("loadbalancer_vrrp_check_fall")),
        check_rise=int(model.value("loadbalancer_vrrp_check_rise")),
    )
    return LoadBalancers(lbs, port, engine, Host(VIP_NAME, str(vip)), str(vip), vrrp)


def _etcd_minor(version: str) -> str:
    parts = version.removeprefix("v").split(".")
    return ".".join(parts[:2])


def _artifacts(model: Model) -> Artifacts:
    source = str(model.value("artifact_source"))
    if source == "mirror":
        base = str(model.value("artifact_mirror_url")).rstrip("/")
        return Artifacts(source, f"{base}/kubernetes/release", f"{base}/etcd/releases/download")
    return Artifacts(source, OFFICIAL_KUBE_BASE, OFFICIAL_ETCD_BASE)
