"""How one host is judged on one CIS item, from what the probe saw there.

A :data:`Judge` takes one host's :class:`~hatool.verify.hostfacts.HostFacts`
and the resolved cluster and returns that host's problems with the item (an
empty list: the item holds there). The building blocks judge a flag of a
running process (:func:`flag_is`, :func:`flags_set`, :func:`flag_unset_or`,
:func:`list_has`, :func:`at_least`, :func:`all_of`) or the files a
:data:`Select` picks (:func:`files_mode`, :func:`files_owner`); the judges
after them are the items that need more than one flag or one file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from hatool.cluster.model import Cluster
from hatool.security import encryption
from hatool.verify.hostfacts import FileInfo, HostFacts

APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
ETCD = "etcd"

#: One host's problems with one item (empty: the item holds there).
Judge = Callable[[HostFacts, Cluster], list[str]]


def unit_file(unit: str) -> str:
    return f"/etc/systemd/system/{unit}.service"


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
