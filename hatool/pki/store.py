"""The PKI folder on disk, kept current: a file is rewritten only when its content must change.

:func:`ensure` brings a folder to a :class:`~hatool.pki.spec.Spec`. A valid
file is left alone, byte for byte; a leaf that must be remade keeps its key;
a CA that is remade takes every leaf it signed with it; in check mode nothing
is written and the files that would change are still reported.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hatool.pki.certs import (
    Issuer,
    PrivateKey,
    ca_is_current,
    cert_pem,
    issue_ca,
    issue_leaf,
    leaf_is_current,
    new_key,
    private_pem,
    public_pem,
)
from hatool.pki.spec import CAS, CertSpec, Spec


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` in one rename, the file already at ``mode``.

    If the file's folder is missing it is made ``0700`` (folders above it, as
    ``mkdir -p`` makes them). The content goes to a temporary file next to
    ``path``, created with ``mode``, that is renamed over ``path``: a reader
    never sees half a file, and the file has ``mode`` from the moment it appears.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.chmod(mode)
    tmp.replace(path)


def read_key_or_none(path: Path) -> PrivateKey | None:
    """The EC or RSA private key in ``path``; None if the file is missing or holds no such key."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (FileNotFoundError, ValueError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else None


def read_cert_or_none(path: Path) -> x509.Certificate | None:
    """The certificate in ``path``; None if the file is missing or is not a PEM certificate."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None


class PKI:
    """A PKI folder; :meth:`ensure` brings it to a :class:`~hatool.pki.spec.Spec`."""

    def __init__(self, root: Path, *, check: bool = False, renew_leaves: bool = False) -> None:
        self.root = root
        self.check = check
        #: remake every leaf now, each with its key (CAs stay: rotating them is out of scope)
        self.renew_leaves = renew_leaves
        self.changed: list[str] = []

    def _mark_changed(self, *paths: Path) -> None:
        self.changed += [p.relative_to(self.root).as_posix() for p in paths]

    def _ensure_ca(self, stem: str, renew_before_days: int) -> Issuer | None:
        """The CA ``stem``, kept if current, else made anew; None in check mode when it would be."""
        crt, key_path = self.root / f"{stem}.crt", self.root / f"{stem}.key"
        cert, key = read_cert_or_none(crt), read_key_or_none(key_path)
        if cert is not None and key is not None and ca_is_current(cert, key, renew_before_days):
            return cert, key
        self._mark_changed(crt, key_path)
        if self.check:
            return None
        cert, key = issue_ca(CAS[stem])
        write_atomically(key_path, private_pem(key), 0o600)
        write_atomically(crt, cert_pem(cert), 0o644)
        return cert, key

    def _ensure_leaf(self, spec: CertSpec, issuer: Issuer | None, renew_before_days: int) -> None:
        """Remake the leaf ``spec`` unless it is current; an existing key is kept."""
        crt, key_path = self.root / f"{spec.stem}.crt", self.root / f"{spec.stem}.key"
        cert, kept_key = read_cert_or_none(crt), read_key_or_none(key_path)
        if (
            not self.renew_leaves
            and cert is not None
            and kept_key is not None
            and issuer is not None
            and leaf_is_current(cert, kept_key, spec, issuer[0], renew_before_days)
        ):
            return
        self._mark_changed(crt, *([] if kept_key is not None else [key_path]))
        if self.check or issuer is None:
            return
        key = kept_key or new_key()
        cert = issue_leaf(spec, key, issuer)
        if kept_key is None:
            write_atomically(key_path, private_pem(key), 0o600)
        write_atomically(crt, cert_pem(cert), 0o644)

    def _ensure_service_account_key(self) -> None:
        """The key pair that signs service-account tokens (RSA, as kube-apiserver expects)."""
        key_path, pub = self.root / "sa.key", self.root / "sa.pub"
        key = read_key_or_none(key_path)
        if key is not None and pub.is_file() and pub.read_bytes() == public_pem(key):
            return
        self._mark_changed(key_path, pub)
        if self.check:
            return
        if key is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_atomically(key_path, private_pem(key), 0o600)
        write_atomically(pub, public_pem(key), 0o644)

    def ensure(self, spec: Spec) -> list[str]:
        """Make what is missing or must change; return the changed files (relative)."""
        if not self.check:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.root.chmod(0o700)
        issuers = {stem: self._ensure_ca(stem, spec.renew_before_days) for stem in CAS}
        for leaf in spec.certs:
            self._ensure_leaf(leaf, issuers[leaf.ca], spec.renew_before_days)
        self._ensure_service_account_key()
        return self.changed


def ensure(root: Path, spec: Spec, *, check: bool = False, renew_leaves: bool = False) -> list[str]:
    """Bring the PKI folder ``root`` to ``spec``; return the changed files, relative to it.

    ``renew_leaves`` remakes every leaf certificate now (each keeps its key), as
    ``playbooks/renew-certificates.yml -e force=true`` asks; the CAs stay.
    """
    return PKI(root, check=check, renew_leaves=renew_leaves).ensure(spec)
