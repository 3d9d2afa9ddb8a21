"""What the certificates on disk say: subject, names, issuer, serial and expiry, read only."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from hatool.errors import HatoolError
from hatool.pki.certs import sans_of


@dataclass(frozen=True)
class CertInfo:
    """One certificate file, as the certificate lifecycle needs to see it.

    ``subject`` and ``issuer`` are RFC 4514 strings (``CN=kubernetes-admin,O=system:masters``);
    ``days_left`` is whole days until ``not_after``, negative once it has passed.
    """

    path: Path
    subject: str
    sans: tuple[str, ...]
    not_after: dt.datetime
    days_left: int
    serial: int
    issuer: str
    #: a certificate authority (basic constraints CA:TRUE), not a leaf
    ca: bool = False

    def expires_within(self, days: int, now: dt.datetime | None = None) -> bool:
        """Whether it expires within ``days`` days of ``now``: when the roles renew it."""
        return self.not_after - (now or dt.datetime.now(dt.UTC)) <= dt.timedelta(days=days)


def describe_pem(data: bytes, path: Path, *, now: dt.datetime | None = None) -> CertInfo:
    """What the PEM certificate ``data`` from ``path`` says (``days_left`` from ``now``)."""
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise HatoolError(f"{path}: not a PEM certificate ({exc})") from None
    not_after = cert.not_valid_after_utc
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = False
    return CertInfo(
        path=path,
        subject=cert.subject.rfc4514_string(),
        sans=sans_of(cert),
        not_after=not_after,
        days_left=(not_after - (now or dt.datetime.now(dt.UTC))).days,
        serial=cert.serial_number,
        issuer=cert.issuer.rfc4514_string(),
        ca=ca,
    )


def describe(path: Path, *, now: dt.datetime | None = None) -> CertInfo:
    """What the PEM certificate in ``path`` says; ``days_left`` is counted from ``now`` (UTC)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise HatoolError(f"{path}: no such certificate file") from None
    return describe_pem(data, path, now=now)


def kubeconfig_client_pem(text: str, path: Path) -> bytes:
    """The client certificate a kubeconfig embeds (``client-certificate-data``), as PEM.

    Only that line is read: the kubeconfig's key never leaves the file.
    """
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if key == "client-certificate-data" and value.strip():
            try:
                return base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                break
    raise HatoolError(f"{path}: no client-certificate-data in this kubeconfig")


def inventory_of(root: Path, *, now: dt.datetime | None = None) -> list[CertInfo]:
    """Every ``*.crt`` under the PKI folder ``root``, sorted by path."""
    if not root.is_dir():
        raise HatoolError(f"{root}: no such PKI folder")
    return [describe(p, now=now) for p in sorted(root.rglob("*.crt"))]
