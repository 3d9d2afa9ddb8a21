"""The CIS rows of ``hatool verify``: the benchmark's control-plane items, on the running hosts.

Each row is one item of the CIS Kubernetes Benchmark v1.9 (1.1.x files,
1.2.x the API server, 1.3.x the controller manager, 1.4.x the scheduler,
2.x etcd), judged on every master or etcd member it applies to, from the
running processes' command lines and the files' modes and owners
(:mod:`hatool.verify.hostfacts`, one SSH command per host). A failing row
names the item and every host where it fails, with what was seen. Rows named
``hatool`` are promises beyond the benchmark (etcd's TLS, the CA key,
revocable admins). Three rows ask the running cluster itself: an anonymous
request through the load balancer, a Secret read raw from etcd, and the
ClusterRoleBindings of the cluster's own groups.

What is expected comes from the resolved cluster (``Cluster.security``), the
same values the roles rendered from.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from hatool.cluster.model import Cluster
from hatool.security import encryption
from hatool.security.objects import BINDINGS
from hatool.security.policy import MASTERS_GROUP
from hatool.verify.api import get
from hatool.verify.checks import Check
from hatool.verify.hostfacts import Ask, FileInfo, HostFacts, gather
from hatool.verify.probes import SSH_FAILED, on_first_answering_member
from hatool.verify.remote import Remote
from hatool.verify.target import Node, Target

AREA = "cis"
APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
ETCD = "etcd"
HTTP_OK = 200
REFUSED = (401, 403)
#: Rows besides one per item: the probe reached every host; three on the controller;
#: three on the running cluster (anonymous requests, a Secret at rest, the bindings).
OTHER_ROWS = 7
#: The Secret the encryption row writes through the API and reads raw from etcd.
PROBE_SECRET = ("default", "hatool-verify-encryption")

#: One host's problems with one item (empty: the item holds there).
Judge = Callable[[HostFacts, Cluster], list[str]]


def unit_file(unit: str) -> str:
    return f"/etc/systemd/system/{unit}.service"


# -- judging one host ------------------------------------------------------------------


def _flags(facts: HostFacts, unit: str) -> dict[str, str] | None:
    process = facts.process(unit)
    return process.flags if process else None


#: What a judge says of a host whose process is not running: the row leaves that host to
#: the health rows (readyz, etcd health, "leader and standbys active"), which report it.
NOT_RUNNING = " is not running"


def _not_running(unit: str) -> list[str]:
    return [f"{unit}{NOT_RUNNING}"]


def flag_is(unit: str, flag: str, wanted: Callable[[Cluster], str] | str) -> Judge:
    def judge(facts: HostFacts, cluster: Cluster) -> list[str]:
        flags = _flags(facts, unit)
        if flags is None:
            return _not_running(unit)
        value = wanted(cluster) if callable(wanted) else wanted
        seen = flags.get(flag)
        return [] if seen == value else [f"{flag}={seen if seen is not None else '(unset)'}"]

    return judge


def flags_set(unit: str, *names: str) -> Judge:
    def judge(facts: HostFacts, _: Cluster) -> list[str]:
        flags = _flags(facts, unit)
        if flags is None:
            return _not_running(unit)
        return [f"{name} unset" for name in names if not flags.get(name)]

    return judge


def flag_unset_or(unit: str, flag: str, *allowed: str) -> Judge:
    """The flag is absent, or one of ``allowed``."""

    def judge(facts: HostFacts, _: Cluster) -> list[str]:
        flags = _flags(facts, unit)
        if flags is None:
            return _not_running(unit)
        seen = flags.get(flag)
        return [] if seen is None or seen in allowed else [f"{flag}={seen}"]

    return judge


def list_has(unit: str, flag: str, item: str, *, present: bool = True) -> Judge:
    """The comma-separated flag contains ``item`` (``present``) or does not."""

    def judge(facts: HostFacts, _: Cluster) -> list[str]:
        flags = _flags(facts, unit)
        if flags is None:
            return _not_running(unit)
        items = [i for i in (flags.get(flag) or "").split(",") if i]
        if (item in items) == present:
            return []
        return [f"{flag}={','.join(items) or '(unset)'}"]

    return judge


def at_least(unit: str, flag: str, minimum: int) -> Judge:
    def judge(facts: HostFacts, _: Cluster) -> list[str]:
        flags = _flags(facts, unit)
        if flags is None:
            return _not_running(unit)
        seen = flags.get(flag, "")
        return [] if seen.isdigit() and int(seen) >= minimum else [f"{flag}={seen or '(unset)'}"]

    return judge


def all_of(*judges: Judge) -> Judge:
    def judge(facts: HostFacts, cluster: Cluster) -> list[str]:
        problems: list[str] = []
        for one in judges:
            problems += [p for p in one(facts, cluster) if p not in problems]
        return problems

    return judge


#: Which files of a host an item is about.
Select = Callable[[HostFacts, Cluster], list[FileInfo] | list[str]]


def files_mode(select: Select, limit: int) -> Judge:
    """Every selected file is ``limit`` or stricter (no permission bit outside it)."""

    def judge(facts: HostFacts, cluster: Cluster) -> list[str]:
        problems = []
        for info in select(facts, cluster):
            if isinstance(info, str):
                problems.append(f"{info} is missing")
            elif info.mode & ~limit:
                problems.append(f"{info.path} is {info.mode:04o}")
        return problems

    return judge


def files_owner(select: Select, owner: Callable[[Cluster], str] | str) -> Judge:
    def judge(facts: HostFacts, cluster: Cluster) -> list[str]:
        wanted = owner(cluster) if callable(owner) else owner
        problems = []
        for info in select(facts, cluster):
            if isinstance(info, str):
                problems.append(f"{info} is missing")
            elif info.owner != wanted:
                problems.append(f"{info.path} is {info.owner}")
        return problems

    return judge


def the_file(path: Callable[[Cluster], str] | str) -> Select:
    """One file that must exist (its path is reported as missing otherwise)."""

    def select(facts: HostFacts, cluster: Cluster) -> list[FileInfo] | list[str]:
        wanted = path(cluster) if callable(path) else path
        info = facts.file(wanted)
        return [info] if info else [wanted]

    return select


def _kube_pki_dirs(facts: HostFacts, cluster: Cluster) -> list[str]:
    """The API server's PKI folder, and the controller manager's if it has its own."""
    dirs = [cluster.apiserver.pki_dir]
    flags = _flags(facts, CONTROLLER_MANAGER) or {}
    root_ca = flags.get("--root-ca-file")
    if root_ca:
        own = str(Path(root_ca).parent)
        if own not in dirs:
            dirs.append(own)
    return dirs


def _pki_dirs(facts: HostFacts, cluster: Cluster) -> list[str]:
    """The PKI folders this host has: Kubernetes' on a master, etcd's on a member."""
    dirs = []
    if facts.process(APISERVER) is not None or facts.file(cluster.apiserver.pki_dir):
        dirs += _kube_pki_dirs(facts, cluster)
    if facts.file(cluster.etcd.pki_dir):
        dirs.append(cluster.etcd.pki_dir)
    return dirs


def pki_files(*suffixes: str, kube_only: bool = False) -> Select:
    def select(facts: HostFacts, cluster: Cluster) -> list[FileInfo] | list[str]:
        dirs = _kube_pki_dirs(facts, cluster) if kube_only else _pki_dirs(facts, cluster)
        found: dict[str, FileInfo] = {}
        for folder in dirs:
            found.update((i.path, i) for i in facts.under(folder, *suffixes))
        return sorted(found.values(), key=lambda i: i.path)

    return select


def etcd_runs_as_its_user(facts: HostFacts, cluster: Cluster) -> list[str]:
    process = facts.process(ETCD)
    if process is None:
        return _not_running(ETCD)
    user = cluster.security.etcd_user
    return [] if process.user == user else [f"etcd runs as {process.user}"]


def no_admin_kubeconfig(facts: HostFacts, _: Cluster) -> list[str]:
    return [f"{path} is on the host" for path in ADMIN_ON_HOSTS if facts.file(path)]


ADMIN_ON_HOSTS = ("/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf")


def anonymous_flags(facts: HostFacts, cluster: Cluster) -> list[str]:
    """--anonymous-auth=false, or an AuthenticationConfiguration and no --anonymous-auth."""
    flags = _flags(facts, APISERVER)
    if flags is None:
        return _not_running(APISERVER)
    security = cluster.security
    if not security.anonymous_health_only:
        seen = flags.get("--anonymous-auth")
        return [] if seen == "false" else [f"--anonymous-auth={seen or '(unset: true)'}"]
    problems = []
    if flags.get("--authentication-config") != security.authentication_config:
        problems.append(f"--authentication-config={flags.get('--authentication-config')}")
    if "--anonymous-auth" in flags:
        problems.append(f"--anonymous-auth={flags['--anonymous-auth']}")
    return problems + files_mode(the_file(security.authentication_config), 0o600)(facts, cluster)


def deny_external_ips(facts: HostFacts, cluster: Cluster) -> list[str]:
    if not cluster.security.deny_service_external_ips:
        return []  # the plugin does not exist before v1.21: the row says so
    return list_has(APISERVER, "--enable-admission-plugins", "DenyServiceExternalIPs")(
        facts, cluster
    )


def strong_tls(unit: str, ciphers_flag: str, min_flag: Callable[[Cluster], str | None]) -> Judge:
    def judge(facts: HostFacts, cluster: Cluster) -> list[str]:
        flags = _flags(facts, unit)
        if flags is None:
            return _not_running(unit)
        problems = []
        wanted = ",".join(cluster.security.tls_cipher_suites)
        if flags.get(ciphers_flag) != wanted:
            problems.append(f"{ciphers_flag}={flags.get(ciphers_flag) or '(unset)'}")
        minimum = min_flag(cluster)
        if minimum is not None and flags.get("--tls-min-version") != minimum:
            problems.append(f"--tls-min-version={flags.get('--tls-min-version') or '(unset)'}")
        return problems

    return judge


def encryption_config(facts: HostFacts, cluster: Cluster) -> list[str]:
    """The masters' EncryptionConfiguration is the controller's (same sha256)."""
    path = cluster.security.encryption_config
    seen = facts.sha256.get(path)
    if seen is None:
        return [f"{path} is missing"]
    wanted = controller_sha256(Path(cluster.paths.encryption) / encryption.CONFIG)
    return [] if seen == wanted else [f"{path} differs from the controller's keyring"]


def controller_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def ca_key(facts: HostFacts, cluster: Cluster) -> list[str]:
    """Without the CSR signer, no master holds the cluster CA's key or signs with it."""
    flags = _flags(facts, CONTROLLER_MANAGER)
    if flags is None:
        return _not_running(CONTROLLER_MANAGER)
    keys = [f"{d}/ca.key" for d in _kube_pki_dirs(facts, cluster)]
    present = [k for k in keys if facts.file(k)]
    if cluster.security.csr_signer:
        if "--cluster-signing-key-file" not in flags:
            return ["the CSR signer is on, but --cluster-signing-key-file is unset"]
        return files_mode(lambda *_: [facts.files[k] for k in present], 0o600)(facts, cluster)
    problems = [f"{k} is on the host" for k in present]
    if "--cluster-signing-key-file" in flags:
        problems.append(f"--cluster-signing-key-file={flags['--cluster-signing-key-file']}")
    return problems


def etcd_own_ca(facts: HostFacts, cluster: Cluster) -> list[str]:
    """2.7: etcd trusts its own CA, the controller's etcd CA, not the cluster CA."""
    flags = _flags(facts, ETCD)
    if flags is None:
        return _not_running(ETCD)
    path = flags.get("--trusted-ca-file")
    if not path:
        return ["--trusted-ca-file unset"]
    seen = facts.sha256.get(path)
    pki = Path(cluster.paths.pki)
    if seen is None or seen != controller_sha256(pki / "etcd" / "ca.crt"):
        return [f"{path} is not the etcd CA"]
    if seen == controller_sha256(pki / "ca.crt"):
        return [f"{path} is the cluster CA"]
    return []


# -- the items -----------------------------------------------------------------------------


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


def _nodes(target: Target, hosts: str) -> list[Node]:
    chosen = []
    if "masters" in hosts:
        chosen += target.masters
    if "etcd" in hosts:
        chosen += [n for n in target.etcd_members if n not in chosen]
    return chosen


def row_name(item: Item) -> str:
    return f"{item.id} {item.title}"


def judge_item(item: Item, target: Target, facts: dict[str, HostFacts]) -> Check:
    """One row: the item on every host it applies to, each failing host named.

    A host the probe did not reach, or whose process is not running, is not
    judged (the row names it): its own rows say what is wrong there.
    """
    failed: dict[str, list[str]] = {}
    skipped: dict[str, list[str]] = {}
    nodes = _nodes(target, item.hosts)
    for node in nodes:
        seen = facts.get(node.name)
        if seen is None or not seen.reached:
            skipped[node.name] = ["not reached"]
            continue
        problems = item.judge(seen, target.cluster)
        if problems and all(p.endswith(NOT_RUNNING) for p in problems):
            skipped[node.name] = problems
        elif problems:
            failed[node.name] = problems
    judged = [n.name for n in nodes if n.name not in skipped]
    if failed:
        detail = "; ".join(f"{host}: {', '.join(p)}" for host, p in sorted(failed.items()))
    elif item.note:
        detail = item.note(target.cluster)
    else:
        detail = f"holds on {', '.join(judged) or 'no host'}"
    if skipped:
        detail += "; not judged: " + "; ".join(
            f"{host} ({', '.join(p)})" for host, p in sorted(skipped.items())
        )
    return Check(
        AREA, row_name(item), not failed, detail,
        {"item": item.id, "hosts": judged, "failed": failed, "skipped": skipped},
    )  # fmt: skip


def reach_row(target: Target, facts: dict[str, HostFacts]) -> Check:
    """Whether the probe reached every master and etcd member (the rows judge only those)."""
    names = [n.name for n in _nodes(target, "masters+etcd")]
    lost = {n: facts[n].error if n in facts else "not asked" for n in names
            if n not in facts or not facts[n].reached}  # fmt: skip
    return Check(
        AREA, "CIS probe reached every master and etcd member over SSH", not lost,
        "; ".join(f"{h}: {e}" for h, e in sorted(lost.items())) or f"{len(names)} hosts",
        {"item": "hatool", "failed": {h: [e] for h, e in lost.items()}},
    )  # fmt: skip


# -- asking the hosts --------------------------------------------------------------------------


def ask_for(target: Target, node: Node) -> Ask:
    """What the CIS rows need from ``node``, by what runs on it."""
    cluster = target.cluster
    units: list[str] = []
    trees: list[str] = []
    paths: list[str] = []
    hashes: list[str] = []
    flag_folders: list[tuple[str, str]] = []
    if node in target.masters:
        security = cluster.security
        units += [APISERVER, CONTROLLER_MANAGER, SCHEDULER]
        trees.append(cluster.apiserver.pki_dir)
        paths += [unit_file(u) for u in (APISERVER, CONTROLLER_MANAGER, SCHEDULER)]
        paths += [cluster.component(c).kubeconfig for c in (CONTROLLER_MANAGER, SCHEDULER)]
        paths += [security.encryption_config, *ADMIN_ON_HOSTS]
        if security.anonymous_health_only:
            paths.append(security.authentication_config)
        hashes.append(security.encryption_config)
        flag_folders.append((CONTROLLER_MANAGER, "--root-ca-file"))
    if node in target.etcd_members:
        units.append(ETCD)
        trees.append(cluster.etcd.pki_dir)
        paths += [unit_file(ETCD), cluster.etcd.data_dir]
        hashes.append(f"{cluster.etcd.pki_dir}/ca.crt")
    return Ask(tuple(units), tuple(trees), tuple(paths), tuple(hashes), tuple(flag_folders))


def host_rows(target: Target, facts: dict[str, HostFacts]) -> list[Check]:
    return [reach_row(target, facts), *(judge_item(item, target, facts) for item in ITEMS)]


# -- the controller ----------------------------------------------------------------------------


def controller_rows(cluster: Cluster) -> list[Check]:
    """The admin kubeconfigs (1.1.13, 1.1.14) and the keys in the cluster folder."""
    paths = cluster.paths
    folder = Path(paths.cluster_dir)
    kubeconfigs = [Path(paths.admin_kubeconfig), Path(paths.super_admin_kubeconfig)]
    keys = sorted(Path(paths.pki).rglob("*.key")) + sorted(Path(paths.encryption).glob("*"))
    loose = [f"{p} is {_mode(p):04o}" for p in kubeconfigs + keys if _mode(p) & 0o077]
    loose += [f"{p} is missing" for p in kubeconfigs if not p.exists()]
    owners = {p: p.stat().st_uid for p in kubeconfigs if p.exists()}
    strangers = [f"{p} belongs to uid {uid}" for p, uid in owners.items() if uid != os.getuid()]
    open_folder = [f"{folder} is {_mode(folder):04o}"] if _mode(folder) & 0o077 else []
    return [
        Check(
            AREA, "1.1.13 admin.conf and super-admin.conf 600, on the controller",
            not [x for x in loose if "conf" in x],
            "; ".join(x for x in loose if "conf" in x)
            or f"{', '.join(p.name for p in kubeconfigs)} 0600 in {folder}",
            {"item": "1.1.13"},
        ),
        Check(
            AREA, "1.1.14 admin.conf and super-admin.conf owned by the operator",
            not strangers, "; ".join(strangers) or f"owned by uid {os.getuid()}",
            {"item": "1.1.14"},
        ),
        Check(
            AREA, "hatool cluster folder 700, its keys 600, on the controller",
            not open_folder and not [x for x in loose if "conf" not in x],
            "; ".join(open_folder + [x for x in loose if "conf" not in x])
            or f"{folder} 0700; {len(keys)} key files 0600",
            {"item": "hatool"},
        ),
    ]  # fmt: skip


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0


# -- the running cluster -------------------------------------------------------------------------


def anonymous_row(
    cluster: Cluster, entry: str, namespaces: int, anonymous_readyz: tuple[int, str],
    client_readyz: tuple[int, str],
) -> Check:  # fmt: skip
    """1.2.1 on the wire: an anonymous list of namespaces is refused, /readyz is served.

    Where anonymous requests may reach the health endpoints (v1.32+), an
    anonymous /readyz is served; elsewhere /readyz is served to any client
    certificate (the health-check one) and refused to anonymous requests.
    """
    refused = namespaces in REFUSED
    if cluster.security.anonymous_health_only:
        served, who = anonymous_readyz == (HTTP_OK, "ok"), "anonymous"
    else:
        served, who = client_readyz == (HTTP_OK, "ok"), "with the health-check certificate"
    detail = (
        f"anonymous GET /api/v1/namespaces via {entry}: HTTP {namespaces or 'no answer'}; "
        f"GET /readyz {who}: HTTP {(anonymous_readyz if who == 'anonymous' else client_readyz)[0]}"
        f"; anonymous GET /readyz: HTTP {anonymous_readyz[0]}"
    )
    return Check(
        AREA, "1.2.1 anonymous requests refused through the load balancer, /readyz served",
        refused and served, detail,
        {"item": "1.2.1", "namespaces_status": namespaces,
         "anonymous_readyz_status": anonymous_readyz[0], "client_readyz_status": client_readyz[0]},
    )  # fmt: skip


def anonymous_check(target: Target) -> Check:
    pki = target.pki
    lb = target.client_entry
    port = target.loadbalancer_port
    anonymous = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    health = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    health.load_cert_chain(
        str(pki / "apiserver-healthcheck-client.crt"), str(pki / "apiserver-healthcheck-client.key")
    )
    return anonymous_row(
        target.cluster,
        f"{lb.name} ({lb.address}:{port})",
        get(anonymous, lb.address, port, "/api/v1/namespaces")[0],
        get(anonymous, lb.address, port, "/readyz"),
        get(health, lb.address, port, "/readyz"),
    )


def at_rest_row(raw_prefix: str, write_key: str | None, error: str = "") -> Check:
    """1.2.28 on the wire: what etcd holds under a Secret written through the API."""
    wanted = f"{encryption.PREFIX}{write_key}:" if write_key else encryption.PREFIX
    ok = not error and raw_prefix.startswith(wanted)
    shown = raw_prefix[: len(wanted) + 8] if raw_prefix else "(nothing)"
    detail = error or f"etcd holds {shown!r}..., expected {wanted!r}"
    key = raw_prefix.removeprefix(encryption.PREFIX).split(":", 1)[0] if raw_prefix else None
    return Check(
        AREA, "1.2.28 a Secret written through the API is encrypted in etcd (k8s:enc:aescbc)",
        ok, detail, {"item": "1.2.28", "prefix": shown, "key": key, "write_key": write_key},
    )  # fmt: skip


def printable_prefix(raw: bytes) -> str:
    """The start of a raw etcd value up to its first non-printable byte (the ciphertext)."""
    text = []
    for byte in raw:
        if not 32 <= byte < 127:
            break
        text.append(chr(byte))
    return "".join(text)


def read_raw(target: Target, remote: Remote, key: str) -> tuple[bytes, str]:
    """The first bytes of etcd's value under ``key`` (base64 over SSH), or an error."""
    line = target.etcdctl("get", key, "--print-value-only") + " | head -c 96 | base64 -w0"
    result = on_first_answering_member(target, remote, line)
    if result.exit_code == SSH_FAILED or not result.ok:
        return b"", f"etcdctl get on a member failed: {result.stderr.strip()[:200]}"
    try:
        return base64.b64decode(result.stdout.strip()), ""
    except ValueError:
        return b"", "etcdctl printed no value"


def at_rest_check(target: Target, remote: Remote) -> Check:
    """Write a Secret through the API (the admin kubeconfig), read it raw from etcd, delete it."""
    keyring = encryption.KeyringFolder(Path(target.cluster.paths.encryption)).load()
    namespace, name = PROBE_SECRET
    api = k8s.CoreV1Api(
        k8s_config.new_client_from_config(config_file=str(target.admin_kubeconfig))  # type: ignore[no-untyped-call]
    )
    body = k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=name, labels={"app.kubernetes.io/managed-by": "hatool"}),
        string_data={"probe": f"hatool verify {time.time():.0f}"},
    )
    write = keyring.write if keyring else None
    with contextlib.suppress(Exception):  # absent is what we want
        api.delete_namespaced_secret(name, namespace, _request_timeout=10)
    try:
        api.create_namespaced_secret(namespace, body, _request_timeout=10)
    except Exception as exc:  # reported as the row's detail (its type, never a body)
        return at_rest_row("", write, f"writing Secret {namespace}/{name}: {type(exc).__name__}")
    raw, error = read_raw(target, remote, f"/registry/secrets/{namespace}/{name}")
    with contextlib.suppress(Exception):  # a leftover probe Secret is harmless
        api.delete_namespaced_secret(name, namespace, _request_timeout=10)
    return at_rest_row(printable_prefix(raw), keyring.write if keyring else None, error)


def bindings_row(groups: dict[str, tuple[str, ...]], bindings: dict[str, bool]) -> Check:
    """The admin and kubelet client certificates are outside system:masters, and bound."""
    problems = [f"{cert} is in {MASTERS_GROUP}" for cert, g in groups.items() if MASTERS_GROUP in g]
    problems += [f"ClusterRoleBinding {name} missing or changed"
                 for name, ok in bindings.items() if not ok]  # fmt: skip
    shown = "; ".join(f"{cert}: {', '.join(g) or '(no group)'}" for cert, g in groups.items())
    return Check(
        AREA, "hatool admin and kubelet-client certificates revocable (RBAC, not system:masters)",
        not problems, "; ".join(problems) or f"{shown}; bound by {', '.join(bindings)}",
        {"item": "hatool", "groups": {k: list(v) for k, v in groups.items()},
         "bindings": bindings},
    )  # fmt: skip


def bindings_check(target: Target) -> Check:
    groups: dict[str, tuple[str, ...]] = {}
    for stem in ("admin", "apiserver-kubelet-client"):
        cert = x509.load_pem_x509_certificate((target.pki / f"{stem}.crt").read_bytes())
        orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        groups[f"{stem}.crt"] = tuple(str(o.value) for o in orgs)
    api = k8s.RbacAuthorizationV1Api(
        k8s_config.new_client_from_config(config_file=str(target.admin_kubeconfig))  # type: ignore[no-untyped-call]
    )
    bindings = {}
    for binding in BINDINGS:
        try:
            found: Any = api.read_cluster_role_binding(binding.name, _request_timeout=10)
            bindings[binding.name] = binding.matches(found)
        except Exception:  # missing or unreadable: the row fails
            bindings[binding.name] = False
    return bindings_row(groups, bindings)


def checks(target: Target, remote: Remote) -> list[Check]:
    """Every CIS row: the hosts (one SSH command each), the controller, the running cluster."""
    nodes: list[Node] = []
    for node in [*target.masters, *target.etcd_members]:
        if node not in nodes:
            nodes.append(node)
    facts = gather(remote, [(node, ask_for(target, node)) for node in nodes])
    return [
        *host_rows(target, facts),
        *controller_rows(target.cluster),
        anonymous_check(target),
        at_rest_check(target, remote),
        bindings_check(target),
    ]
