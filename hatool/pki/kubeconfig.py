"""Kubeconfigs with the CA and a client certificate embedded, written only when they change."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from hatool.pki.store import write_atomically


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def render(*, cluster: str, server: str, user: str, ca: bytes, cert: bytes, key: bytes) -> bytes:
    """A kubeconfig for one user of one cluster, the PEM blocks embedded."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {"server": server, "certificate-authority-data": _b64(ca)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)},
            }
        ],
        "contexts": [{"name": f"{user}@{cluster}", "context": {"cluster": cluster, "user": user}}],
        "current-context": f"{user}@{cluster}",
    }
    return yaml.safe_dump(config, sort_keys=False).encode()


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def ensure(
    path: Path, pki: Path, *, cluster: str, server: str, user: str, stem: str, check: bool
) -> bool:
    """Write the kubeconfig for the client certificate ``stem`` of ``pki``; True if it changed."""
    data = render(
        cluster=cluster,
        server=server,
        user=user,
        ca=_read(pki / "ca.crt"),
        cert=_read(pki / f"{stem}.crt"),
        key=_read(pki / f"{stem}.key"),
    )
    if path.is_file() and path.read_bytes() == data:
        return False
    if not check:
        write_atomically(path, data, 0o600)
    return True
