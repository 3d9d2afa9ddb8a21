"""Every certificate of a deployed cluster, where it is used: on its hosts and on the controller.

On each master and etcd member one SSH command prints the certificate files
(``*.crt`` in the API server's and etcd's certificate folders) and, of each
kubeconfig, only its ``client-certificate-data`` line: no key leaves a host.
On the controller the cluster's ``pki/`` folder and kubeconfigs are read.
``hatool certs`` prints the rows; ``hatool verify`` fails a row when one
expires within the renewal threshold, naming it.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatool.cluster.model import Cluster
from hatool.errors import HatoolError
from hatool.pki.certinfo import CertInfo, describe, describe_pem, kubeconfig_client_pem
from hatool.verify.remote import Remote
from hatool.verify.target import Node, Target

CONTROLLER = "controller"
#: What starts each file's part of a host's answer.
MARK = "@@hatool-cert "


@dataclass(frozen=True)
class CertRow:
    """One certificate where it is used: a host (or the controller) and a file."""

    host: str
    path: str
    kind: str  # "ca", "leaf", or "kubeconfig" (a client certificate embedded in one)
    info: CertInfo

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "path": self.path,
            "kind": self.kind,
            "subject": self.info.subject,
            "sans": list(self.info.sans),
            "issuer": self.info.issuer,
            "serial": f"{self.info.serial:x}",
            "not_after": self.info.not_after.isoformat(),
            "days_left": self.info.days_left,
        }

    @property
    def where(self) -> str:
        return f"{self.host}:{self.path}"


def _kind(info: CertInfo, kubeconfig: bool) -> str:
    if kubeconfig:
        return "kubeconfig"
    return "ca" if info.ca else "leaf"


def controller_rows(cluster: Cluster, now: dt.datetime | None = None) -> list[CertRow]:
    """The certificates and kubeconfigs in the cluster's folder on the controller."""
    pki = Path(cluster.paths.pki)
    if not pki.is_dir():
        raise HatoolError(f"{pki} does not exist: deploy this inventory first, on this machine")
    rows = []
    for path in sorted(pki.rglob("*.crt")):
        info = describe(path, now=now)
        rows.append(CertRow(CONTROLLER, str(path), _kind(info, False), info))
    configs = [Path(cluster.paths.admin_kubeconfig), Path(cluster.paths.super_admin_kubeconfig)]
    configs += sorted(Path(cluster.paths.kubeconfigs).glob("*.conf"))
    for path in configs:
        if path.is_file():
            pem = kubeconfig_client_pem(path.read_text(encoding="utf-8"), path)
            rows.append(
                CertRow(CONTROLLER, str(path), "kubeconfig", describe_pem(pem, path, now=now))
            )
    return rows


def host_files(cluster: Cluster, host: str) -> tuple[list[str], list[str]]:
    """(certificate folders, kubeconfigs) that hold certificates on ``host``."""
    folders, kubeconfigs = [], []
    if host in [m.name for m in cluster.masters]:
        folders.append(cluster.apiserver.pki_dir)
        kubeconfigs += [c.kubeconfig for c in cluster.components if c.kubeconfig]
    if host in [m.name for m in cluster.etcd.members]:
        folders.append(cluster.etcd.pki_dir)
    return folders, kubeconfigs


def host_command(folders: list[str], kubeconfigs: list[str]) -> str:
    """A shell line printing each certificate file and each kubeconfig's client certificate."""
    globs = " ".join(f"{shlex.quote(f.rstrip('/'))}/*.crt" for f in folders)
    configs = " ".join(shlex.quote(k) for k in kubeconfigs)
    parts = []
    if globs:
        parts.append(
            f'for f in {globs}; do [ -f "$f" ] && printf "{MARK}%s\\n" "$f" && cat "$f"; done'
        )
    if configs:
        parts.append(
            f'for f in {configs}; do [ -f "$f" ] && printf "{MARK}%s\\n" "$f" '
            '&& grep -E "^[[:space:]]*client-certificate-data:" "$f"; done'
        )
    return "; ".join([*parts, "true"])


def parse_host_output(
    host: str, text: str, kubeconfigs: list[str], now: dt.datetime | None = None
) -> list[CertRow]:
    """The rows of one host's answer to :func:`host_command`."""
    rows = []
    chunks = text.split(MARK)[1:]
    for chunk in chunks:
        path, _, body = chunk.partition("\n")
        if path in kubeconfigs:
            info = describe_pem(kubeconfig_client_pem(body, Path(path)), Path(path), now=now)
            rows.append(CertRow(host, path, "kubeconfig", info))
        elif body.strip():
            info = describe_pem(body.encode(), Path(path), now=now)
            rows.append(CertRow(host, path, _kind(info, False), info))
    return rows


def host_rows(
    target: Target, remote: Remote, now: dt.datetime | None = None
) -> tuple[list[CertRow], dict[str, str]]:
    """Every certificate on every master and etcd member; and the hosts that could not be read."""
    rows: list[CertRow] = []
    unread: dict[str, str] = {}
    names = list(
        dict.fromkeys([*(n.name for n in target.masters), *(n.name for n in target.etcd_members)])
    )
    for name in names:
        node: Node = target.node(name)
        folders, kubeconfigs = host_files(target.cluster, name)
        result = remote.run(node, host_command(folders, kubeconfigs))
        if not result.ok:
            unread[name] = (result.stderr.strip() or f"exit code {result.exit_code}")[:200]
            continue
        rows += parse_host_output(name, result.stdout, kubeconfigs, now)
    return rows, unread


def expiring(rows: list[CertRow], days: int, now: dt.datetime | None = None) -> list[CertRow]:
    """The rows whose certificate expires within ``days`` days, soonest first."""
    found = [r for r in rows if r.info.expires_within(days, now)]
    return sorted(found, key=lambda r: r.info.not_after)


def rows(
    cluster: Cluster, target: Target, remote: Remote, now: dt.datetime | None = None
) -> tuple[list[CertRow], dict[str, str]]:
    """Every certificate: the hosts' (masters, then etcd members), then the controller's."""
    found, unread = host_rows(target, remote, now)
    return found + controller_rows(cluster, now), unread
