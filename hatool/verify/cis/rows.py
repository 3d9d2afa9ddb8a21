"""The CIS rows: the items judged on the hosts, the controller's files, the running cluster.

:func:`checks` asks every master and etcd member once (:func:`ask_for`, one
SSH command per host), judges every item on them (:func:`host_rows`), then
adds the controller's rows and the three asked of the running cluster.
"""

from __future__ import annotations

import base64
import contextlib
import os
import ssl
import time
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
from hatool.verify.cis.items import ITEMS, Item
from hatool.verify.cis.judges import (
    ADMIN_ON_HOSTS,
    APISERVER,
    CONTROLLER_MANAGER,
    ETCD,
    NOT_RUNNING,
    SCHEDULER,
    unit_file,
)
from hatool.verify.hostfacts import Ask, HostFacts, gather
from hatool.verify.probes import SSH_FAILED, on_first_answering_member
from hatool.verify.remote import Remote
from hatool.verify.target import Node, Target

AREA = "cis"
HTTP_OK = 200
REFUSED = (401, 403)
#: Rows besides one per item: the probe reached every host; three on the controller;
#: three on the running cluster (anonymous requests, a Secret at rest, the bindings).
OTHER_ROWS = 7
#: The Secret the encryption row writes through the API and reads raw from etcd.
PROBE_SECRET = ("default", "hatool-verify-encryption")


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
