"""One certificate in memory: issue a CA or a leaf, and check an existing one against its spec.

Nothing here reads or writes a file; :mod:`hatool.pki.store` does that.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hatool.pki.spec import CertSpec

CA_DAYS = 3650
LEAF_DAYS = 365

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
#: A CA's certificate and the key it signs with.
Issuer: TypeAlias = tuple[x509.Certificate, PrivateKey]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- encoding -----------------------------------------------------------------------


def new_key() -> ec.EllipticCurvePrivateKey:
    """A new P-256 key, the kind every CA and leaf certificate here is made with."""
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: PrivateKey) -> bytes:
    """The key's public half as SubjectPublicKeyInfo PEM."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def distinguished_name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    """``O=`` for each organisation (Kubernetes groups), then ``CN=`` (the user)."""
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attributes)


def general_names(sans: tuple[str, ...]) -> list[x509.GeneralName]:
    """Each SAN as an IP address entry if it parses as one, else as a DNS name."""
    names: list[x509.GeneralName] = []
    for san in sans:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            names.append(x509.DNSName(san))
    return names


# -- what a certificate has, and what its spec wants ---------------------------------


def sans_of(cert: x509.Certificate) -> tuple[str, ...]:
    """The DNS names and IP addresses the certificate has, in its own order."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(name.value) for name in ext if isinstance(name, x509.DNSName | x509.IPAddress))


def usages_of(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    """The extended key usages the certificate has."""
    try:
        return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return set()


def usages_wanted(spec: CertSpec) -> set[x509.ObjectIdentifier]:
    """The extended key usages the spec asks for: server and/or client authentication."""
    usages = set()
    if spec.server:
        usages.add(ExtendedKeyUsageOID.SERVER_AUTH)
    if spec.client:
        usages.add(ExtendedKeyUsageOID.CLIENT_AUTH)
    return usages


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """True if ``ca`` issued ``cert`` directly: issuer name and signature."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def matches_key(cert: x509.Certificate, key: PrivateKey) -> bool:
    """True if the certificate carries the public half of ``key``."""
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return cert.public_key().public_bytes(enc, fmt) == key.public_key().public_bytes(enc, fmt)


def valid_for_more_than(cert: x509.Certificate, days: int) -> bool:
    """True if the certificate expires more than ``days`` days from now."""
    return cert.not_valid_after_utc - _now() > dt.timedelta(days=days)


def ca_is_current(cert: x509.Certificate, key: PrivateKey, renew_before_days: int) -> bool:
    """True if this CA certificate and key can stay: they pair, and it is not due for renewal."""
    return matches_key(cert, key) and valid_for_more_than(cert, renew_before_days)


def leaf_is_current(
    cert: x509.Certificate,
    key: PrivateKey,
    spec: CertSpec,
    ca: x509.Certificate,
    renew_before_days: int,
) -> bool:
    """True if this leaf and key can stay as they are.

    They pair, ``ca`` signed the leaf, it is not due for renewal, and its
    subject, SANs and usages are exactly the spec's.
    """
    return (
        matches_key(cert, key)
        and signed_by(cert, ca)
        and valid_for_more_than(cert, renew_before_days)
        and cert.subject == distinguished_name(spec.cn, spec.orgs)
        and set(sans_of(cert)) == set(spec.sans)
        and usages_of(cert) == usages_wanted(spec)
    )


# -- issuing ------------------------------------------------------------------------


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def issue_ca(cn: str) -> Issuer:
    """A new self-signed CA named ``cn``, with a new key, valid for :data:`CA_DAYS`."""
    key = new_key()
    name = distinguished_name(cn)
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
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue_leaf(spec: CertSpec, key: PrivateKey, issuer: Issuer) -> x509.Certificate:
    """The leaf ``spec`` describes, for ``key``, signed by ``issuer``.

    Valid for :data:`LEAF_DAYS`, or until the CA expires if that comes first.
    """
    ca_cert, ca_key = issuer
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(distinguished_name(spec.cn, spec.orgs))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=LEAF_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(sorted(usages_wanted(spec), key=str)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if spec.sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(general_names(spec.sans)), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256())
