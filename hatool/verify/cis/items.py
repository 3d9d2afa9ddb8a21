"""The table of CIS items: each benchmark item, the hosts it applies to, and its judge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hatool.cluster.model import Cluster
from hatool.verify.cis.judges import (
    APISERVER,
    CONTROLLER_MANAGER,
    ETCD,
    SCHEDULER,
    Judge,
    all_of,
    anonymous_flags,
    at_least,
    ca_key,
    deny_external_ips,
    encryption_config,
    etcd_own_ca,
    etcd_runs_as_its_user,
    files_mode,
    files_owner,
    flag_is,
    flag_unset_or,
    flags_set,
    list_has,
    no_admin_kubeconfig,
    pki_files,
    strong_tls,
    the_file,
    unit_file,
)


@dataclass(frozen=True)
class Item:
    """One benchmark item: its number, what must hold, on which hosts, and how it is judged."""

    id: str
    title: str
    hosts: str  # "masters" or "etcd"
    judge: Judge
    #: what the row says when it holds (default: the title, on how many hosts)
    note: Callable[[Cluster], str] | None = None


def _unit_items(first: int, unit: str, hosts: str, name: str) -> list[Item]:
    path = unit_file(unit)
    why = "644 or stricter (a systemd unit; 1.1 asks 600, see README)"
    return [
        Item(f"1.1.{first}", f"{name} unit file {why}", hosts, files_mode(the_file(path), 0o644)),
        Item(f"1.1.{first + 1}", f"{name} unit file root:root", hosts,
             files_owner(the_file(path), "root:root")),
    ]  # fmt: skip


def _kubeconfig(component: str) -> Callable[[Cluster], str]:
    return lambda cluster: cluster.component(component).kubeconfig


def _etcd_tls_min(cluster: Cluster) -> str | None:
    return cluster.security.etcd_tls_min_version


def _api_tls_min(cluster: Cluster) -> str | None:
    return cluster.security.tls_min_version


def _n_a_before_1_21(cluster: Cluster) -> str:
    if cluster.security.deny_service_external_ips:
        return "DenyServiceExternalIPs enabled"
    return (
        f"not applicable: the plugin exists from v1.21 (this cluster runs {cluster.kube_version})"
    )


A, CM, S = APISERVER, CONTROLLER_MANAGER, SCHEDULER

ITEMS: tuple[Item, ...] = (
    *_unit_items(1, A, "masters", "kube-apiserver"),
    *_unit_items(3, CM, "masters", "kube-controller-manager"),
    *_unit_items(5, S, "masters", "kube-scheduler"),
    *_unit_items(7, ETCD, "etcd", "etcd"),
    Item("1.1.11", "etcd data directory 700", "etcd",
         files_mode(the_file(lambda c: c.etcd.data_dir), 0o700)),
    Item("1.1.12", "etcd data directory etcd:etcd, and etcd runs as etcd", "etcd",
         all_of(files_owner(the_file(lambda c: c.etcd.data_dir),
                            lambda c: f"{c.security.etcd_user}:{c.security.etcd_user}"),
                etcd_runs_as_its_user)),
    Item("1.1.13", "admin kubeconfigs only on the controller (0600 there, a row of its own)",
         "masters", no_admin_kubeconfig),
    Item("1.1.15", "scheduler kubeconfig 600", "masters",
         files_mode(the_file(_kubeconfig(S)), 0o600)),
    Item("1.1.16", "scheduler kubeconfig root:root", "masters",
         files_owner(the_file(_kubeconfig(S)), "root:root")),
    Item("1.1.17", "controller-manager kubeconfig 600", "masters",
         files_mode(the_file(_kubeconfig(CM)), 0o600)),
    Item("1.1.18", "controller-manager kubeconfig root:root", "masters",
         files_owner(the_file(_kubeconfig(CM)), "root:root")),
    Item("1.1.19", "Kubernetes PKI folder and files root:root", "masters",
         files_owner(pki_files(kube_only=True), "root:root")),
    Item("1.1.20", "certificate files 600 (Kubernetes and etcd PKI)", "masters+etcd",
         files_mode(pki_files(".crt", ".pub"), 0o600)),
    Item("1.1.21", "key files 600 (Kubernetes and etcd PKI)", "masters+etcd",
         files_mode(pki_files(".key"), 0o600)),
    Item("1.2.1", "anonymous requests: --anonymous-auth=false, or only to health endpoints",
         "masters", anonymous_flags),
    Item("1.2.2", "--token-auth-file unset", "masters", flag_unset_or(A, "--token-auth-file")),
    Item("1.2.3", "DenyServiceExternalIPs admission", "masters", deny_external_ips,
         _n_a_before_1_21),
    Item("1.2.4", "--kubelet-client-certificate and --kubelet-client-key", "masters",
         flags_set(A, "--kubelet-client-certificate", "--kubelet-client-key")),
    Item("1.2.5", "--kubelet-certificate-authority", "masters",
         flags_set(A, "--kubelet-certificate-authority")),
    Item("1.2.6", "--authorization-mode without AlwaysAllow", "masters",
         list_has(A, "--authorization-mode", "AlwaysAllow", present=False)),
    Item("1.2.7", "--authorization-mode with Node", "masters",
         list_has(A, "--authorization-mode", "Node")),
    Item("1.2.8", "--authorization-mode with RBAC", "masters",
         list_has(A, "--authorization-mode", "RBAC")),
    Item("1.2.10", "admission plugin AlwaysAdmit not enabled", "masters",
         list_has(A, "--enable-admission-plugins", "AlwaysAdmit", present=False)),
    Item("1.2.12", "admission plugin ServiceAccount not disabled", "masters",
         list_has(A, "--disable-admission-plugins", "ServiceAccount", present=False)),
    Item("1.2.13", "admission plugin NamespaceLifecycle not disabled", "masters",
         list_has(A, "--disable-admission-plugins", "NamespaceLifecycle", present=False)),
    Item("1.2.14", "admission plugin NodeRestriction", "masters",
         list_has(A, "--enable-admission-plugins", "NodeRestriction")),
    Item("1.2.15", "kube-apiserver --profiling=false", "masters",
         flag_is(A, "--profiling", "false")),
    Item("1.2.16", "--audit-log-path", "masters", flags_set(A, "--audit-log-path")),
    Item("1.2.17", "--audit-log-maxage 30 or more", "masters",
         at_least(A, "--audit-log-maxage", 30)),
    Item("1.2.18", "--audit-log-maxbackup 10 or more", "masters",
         at_least(A, "--audit-log-maxbackup", 10)),
    Item("1.2.19", "--audit-log-maxsize 100 or more", "masters",
         at_least(A, "--audit-log-maxsize", 100)),
    Item("1.2.21", "--service-account-lookup not false", "masters",
         flag_unset_or(A, "--service-account-lookup", "true")),
    Item("1.2.22", "--service-account-key-file", "masters",
         flags_set(A, "--service-account-key-file")),
    Item("1.2.23", "--etcd-certfile and --etcd-keyfile", "masters",
         flags_set(A, "--etcd-certfile", "--etcd-keyfile")),
    Item("1.2.24", "--tls-cert-file and --tls-private-key-file", "masters",
         flags_set(A, "--tls-cert-file", "--tls-private-key-file")),
    Item("1.2.25", "--client-ca-file", "masters", flags_set(A, "--client-ca-file")),
    Item("1.2.26", "--etcd-cafile", "masters", flags_set(A, "--etcd-cafile")),
    Item("1.2.27", "--encryption-provider-config, the file 600 root:root", "masters",
         all_of(flag_is(A, "--encryption-provider-config", lambda c: c.security.encryption_config),
                files_mode(the_file(lambda c: c.security.encryption_config), 0o600),
                files_owner(the_file(lambda c: c.security.encryption_config), "root:root"))),
    Item("1.2.28", "encryption providers: the controller's keyring (aescbc first)", "masters",
         encryption_config),
    Item("1.2.29", "TLS 1.2 minimum and strong cipher suites only", "masters",
         strong_tls(A, "--tls-cipher-suites", _api_tls_min)),
    Item("1.3.1", "--terminated-pod-gc-threshold as configured", "masters",
         flag_is(CM, "--terminated-pod-gc-threshold",
                 lambda c: str(c.security.terminated_pod_gc_threshold))),
    Item("1.3.2", "kube-controller-manager --profiling=false", "masters",
         flag_is(CM, "--profiling", "false")),
    Item("1.3.3", "--use-service-account-credentials=true", "masters",
         flag_is(CM, "--use-service-account-credentials", "true")),
    Item("1.3.4", "--service-account-private-key-file", "masters",
         flags_set(CM, "--service-account-private-key-file")),
    Item("1.3.5", "--root-ca-file", "masters", flags_set(CM, "--root-ca-file")),
    Item("1.3.6", "RotateKubeletServerCertificate not switched off", "masters",
         list_has(CM, "--feature-gates", "RotateKubeletServerCertificate=false", present=False)),
    Item("1.3.7", "kube-controller-manager --bind-address=127.0.0.1", "masters",
         flag_is(CM, "--bind-address", "127.0.0.1")),
    Item("1.4.1", "kube-scheduler --profiling=false", "masters",
         flag_is(S, "--profiling", "false")),
    Item("1.4.2", "kube-scheduler --bind-address=127.0.0.1", "masters",
         flag_is(S, "--bind-address", "127.0.0.1")),
    Item("2.1", "etcd --cert-file and --key-file", "etcd",
         flags_set(ETCD, "--cert-file", "--key-file")),
    Item("2.2", "etcd --client-cert-auth=true", "etcd",
         flag_is(ETCD, "--client-cert-auth", "true")),
    Item("2.3", "etcd --auto-tls not true", "etcd", flag_unset_or(ETCD, "--auto-tls", "false")),
    Item("2.4", "etcd --peer-cert-file and --peer-key-file", "etcd",
         flags_set(ETCD, "--peer-cert-file", "--peer-key-file")),
    Item("2.5", "etcd --peer-client-cert-auth=true", "etcd",
         flag_is(ETCD, "--peer-client-cert-auth", "true")),
    Item("2.6", "etcd --peer-auto-tls not true", "etcd",
         flag_unset_or(ETCD, "--peer-auto-tls", "false")),
    Item("2.7", "etcd trusts its own CA, not the cluster CA", "etcd", etcd_own_ca),
    Item("hatool", "etcd: TLS 1.2 minimum and strong cipher suites only", "etcd",
         strong_tls(ETCD, "--cipher-suites", _etcd_tls_min)),
    Item("hatool", "cluster CA key only on the controller (unless the CSR signer is on)",
         "masters", ca_key),
)  # fmt: skip
