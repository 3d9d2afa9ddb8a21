"""The cluster's certificates and keys, made on the controller with ``cryptography``.

:func:`cluster_spec` says which certificates a cluster needs (from its hosts
and settings); :func:`ensure` makes exactly what is missing or must change,
and leaves every valid file untouched, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 365
RENEW_BEFORE_DAYS = 30

#: CA file stem -> common name
CAS = {"ca": "kubernetes-ca", "etcd/ca": "etcd-ca", "front-proxy-ca": "front-proxy-ca"}


@dataclass(frozen=True)
class Host:
    name: str
    address: str


@dataclass(frozen=True)
class CertSpec:
    """One leaf certificate: file stem (``apiserver``, ``etcd/m1-server``), issuer, identity."""

    stem: str
    ca: str
    cn: str
    orgs: tuple[str, ...] = ()
    sans: tuple[str, ...] = ()
    server: bool = False
    client: bool = False


@dataclass
class Spec:
    certs: list[CertSpec] = field(default_factory=list)
    renew_before_days: int = RENEW_BEFORE_DAYS


def _sans(*groups: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            if item:
                seen.setdefault(str(item), None)
    return tuple(seen)


def first_service_ip(cidr: str) -> str:
    return str(next(ipaddress.ip_network(cidr, strict=False).hosts()))


def cluster_spec(
    *,
    masters: list[Host],
    etcd_members: list[Host],
    loadbalancers: list[Host],
    service_cidr: str,
    extra_sans: Iterable[str] = (),
    cluster_domain: str = "cluster.local",
) -> Spec:
    """Every leaf certificate a cluster with these hosts needs."""
    api_sans = _sans(
        (h.name for h in masters),
        (h.address for h in masters),
        (h.name for h in loadbalancers),
        (h.address for h in loadbalancers),
        extra_sans,
        (
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            f"kubernetes.default.svc.{cluster_domain}",
            first_service_ip(service_cidr),
            "127.0.0.1",
            "localhost",
        ),
    )
    certs = [
        CertSpec("apiserver", "ca", "kube-apiserver", sans=api_sans, server=True),
        CertSpec(
            "apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client",
            orgs=("system:masters",), client=True,
        ),
        CertSpec("apiserver-etcd-client", "etcd/ca", "kube-apiserver-etcd-client", client=True),
        CertSpec("front-proxy-client", "front-proxy-ca", "front-proxy-client", client=True),
        CertSpec("controller-manager", "ca", "system:kube-controller-manager", client=True),
        CertSpec("scheduler", "ca", "system:kube-scheduler", client=True),
        CertSpec("admin", "ca", "kubernetes-admin", orgs=("system:masters",), client=True),
        CertSpec("etcd/healthcheck-client", "etcd/ca", "kube-etcd-healthcheck-client", client=True),
    ]  # fmt: skip
    for member in etcd_members:
        sans = _sans((member.name, member.address, "localhost", "127.0.0.1"))
        for kind in ("server", "peer"):
            certs.append(
                CertSpec(
                    f"etcd/{member.name}-{kind}",
                    "etcd/ca",
                    f"{member.name}-etcd-{kind}",
                    sans=sans,
                    server=True,
                    client=True,
                )
            )
    return Spec(certs)


# -- files --------------------------------------------------------------------------


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.chmod(mode)
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (FileNotFoundError, ValueError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else None


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attributes)


def _general_names(sans: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for san in sans:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            names.append(x509.DNSName(san))
    return names


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bool:
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return cert.public_key().public_bytes(enc, fmt) == key.public_key().public_bytes(enc, fmt)


def _wanted_sans(cert: x509.Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    found = {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)}
    return found | set(ext.get_values_for_type(x509.DNSName))


def _usages(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    try:
        return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return set()


def _spec_usages(spec: CertSpec) -> set[x509.ObjectIdentifier]:
    usages = set()
    if spec.server:
        usages.add(ExtendedKeyUsageOID.SERVER_AUTH)
    if spec.client:
        usages.add(ExtendedKeyUsageOID.CLIENT_AUTH)
    return usages


def _fresh(cert: x509.Certificate, days: int) -> bool:
    return cert.not_valid_after_utc - _now() > dt.timedelta(days=days)


class PKI:
    """A PKI folder; :meth:`ensure` brings it to a :class:`Spec`."""

    def __init__(self, root: Path, *, check: bool = False) -> None:
        self.root = root
        self.check = check
        self.changed: list[str] = []

    def _record(self, *paths: Path) -> None:
        self.changed += [p.relative_to(self.root).as_posix() for p in paths]

    def _ca(
        self, stem: str, renew_days: int
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] | None:
        crt, key_path = self.root / f"{stem}.crt", self.root / f"{stem}.key"
        cert, key = _load_cert(crt), _load_key(key_path)
        if (
            cert is not None
            and key is not None
            and _same_key(cert, key)
            and _fresh(cert, renew_days)
        ):
            return cert, key
        self._record(crt, key_path)
        if self.check:
            return None
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(CAS[stem])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        _write(key_path, _key_pem(key), 0o600)
        _write(crt, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return cert, key

    def _leaf_ok(self, spec: CertSpec, ca: x509.Certificate | None, renew_days: int) -> bool:
        cert = _load_cert(self.root / f"{spec.stem}.crt")
        key = _load_key(self.root / f"{spec.stem}.key")
        if cert is None or key is None or ca is None:
            return False
        return (
            _same_key(cert, key)
            and _signed_by(cert, ca)
            and _fresh(cert, renew_days)
            and cert.subject == _name(spec.cn, spec.orgs)
            and _wanted_sans(cert) == set(spec.sans)
            and _usages(cert) == _spec_usages(spec)
        )

    def _leaf(
        self,
        spec: CertSpec,
        ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] | None,
        renew_days: int,
    ) -> None:
        if self._leaf_ok(spec, ca[0] if ca else None, renew_days):
            return
        crt, key_path = self.root / f"{spec.stem}.crt", self.root / f"{spec.stem}.key"
        kept_key = _load_key(key_path)
        self._record(crt, *([] if kept_key is not None else [key_path]))
        if self.check or ca is None:
            return
        ca_cert, ca_key = ca
        key = kept_key or ec.generate_private_key(ec.SECP256R1())
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(spec.cn, spec.orgs))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(min(now + dt.timedelta(days=LEAF_DAYS), ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage(sorted(_spec_usages(spec), key=str)), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        if spec.sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(_general_names(spec.sans)), critical=False
            )
        cert = builder.sign(ca_key, hashes.SHA256())
        if kept_key is None:
            _write(key_path, _key_pem(key), 0o600)
        _write(crt, cert.public_bytes(serialization.Encoding.PEM), 0o644)

    def _service_account(self) -> None:
        key_path, pub = self.root / "sa.key", self.root / "sa.pub"
        key = _load_key(key_path)
        public = (
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            if key is not None
            else None
        )
        if key is not None and pub.is_file() and pub.read_bytes() == public:
            return
        self._record(key_path, pub)
        if self.check:
            return
        if key is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _write(key_path, _key_pem(key), 0o600)
        _write(
            pub,
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            0o644,
        )

    def ensure(self, spec: Spec) -> list[str]:
        """Make what is missing or must change; return the changed files (relative)."""
        if not self.check:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.root.chmod(0o700)
        cas = {}
        for stem in CAS:
            cas[stem] = self._ca(stem, spec.renew_before_days)
        for cert in spec.certs:
            self._leaf(cert, cas[cert.ca], spec.renew_before_days)
        self._service_account()
        return self.changed


def ensure(root: Path, spec: Spec, *, check: bool = False) -> list[str]:
    return PKI(root, check=check).ensure(spec)
