"""The cluster's certificates: what is made, who signs it, and that nothing valid is remade."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hatool.cluster.model import Host
from hatool.errors import HatoolError
from hatool.pki import CAS, Spec, cluster_spec, describe, ensure, inventory_of, kubeconfig
from hatool.pki.store import write_atomically

MASTERS = [Host(f"master-{i}", f"127.0.6.{i}") for i in (1, 2, 3)]
LBS = [Host("lb-1", "127.0.6.10")]


def stacked(masters: list[Host] = MASTERS) -> Spec:
    return cluster_spec(
        masters=masters, etcd_members=masters, loadbalancers=LBS,
        service_cidr="10.96.0.0/12", extra_sans=["api.example.test"],
    )  # fmt: skip


def cert(pki: Path, stem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((pki / f"{stem}.crt").read_bytes())


def sans(certificate: x509.Certificate) -> set[str]:
    ext = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in ext.get_values_for_type(x509.IPAddress)} | set(
        ext.get_values_for_type(x509.DNSName)
    )


def pairs_with_its_key(pki: Path, stem: str) -> bool:
    key = serialization.load_pem_private_key((pki / f"{stem}.key").read_bytes(), password=None)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert(pki, stem).public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)


def snapshot(pki: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(pki).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in pki.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    root = tmp_path / "pki"
    ensure(root, stacked())
    return root


def test_apiserver_certificate_names_every_way_to_reach_the_api(pki: Path) -> None:
    names = sans(cert(pki, "apiserver"))
    assert {"master-1", "127.0.6.1", "127.0.6.3", "lb-1", "127.0.6.10", "api.example.test"} <= names
    assert {"kubernetes", "kubernetes.default", "kubernetes.default.svc"} <= names
    assert {"kubernetes.default.svc.cluster.local", "10.96.0.1", "127.0.0.1"} <= names


@pytest.mark.parametrize(
    ("stem", "identity"),
    [
        ("apiserver", ("ca", "kube-apiserver", [], ExtendedKeyUsageOID.SERVER_AUTH)),
        ("admin", ("ca", "kubernetes-admin", ["hatool:cluster-admins"], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("super-admin", ("ca", "kubernetes-super-admin", ["system:masters"], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("apiserver-healthcheck-client", ("ca", "kube-apiserver-healthcheck-client", [], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("controller-manager", ("ca", "system:kube-controller-manager", [], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("scheduler", ("ca", "system:kube-scheduler", [], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("apiserver-kubelet-client", ("ca", "kube-apiserver-kubelet-client", ["hatool:kubelet-api-admins"], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("apiserver-etcd-client", ("etcd/ca", "kube-apiserver-etcd-client", [], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("front-proxy-client", ("front-proxy-ca", "front-proxy-client", [], ExtendedKeyUsageOID.CLIENT_AUTH)),
        ("etcd/master-2-server", ("etcd/ca", "master-2-etcd-server", [], ExtendedKeyUsageOID.SERVER_AUTH)),
        ("etcd/master-2-peer", ("etcd/ca", "master-2-etcd-peer", [], ExtendedKeyUsageOID.CLIENT_AUTH)),
    ],
)  # fmt: skip
def test_each_certificate_has_its_identity_and_chains_to_its_ca(
    pki: Path, stem: str, identity: tuple[str, str, list[str], x509.ObjectIdentifier]
) -> None:
    issuer, cn, orgs, usage = identity
    leaf = cert(pki, stem)
    leaf.verify_directly_issued_by(cert(pki, issuer))
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == cn
    assert [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == orgs
    assert usage in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value


def test_only_the_break_glass_super_admin_bypasses_rbac() -> None:
    masters = [c.stem for c in stacked().certs if "system:masters" in c.orgs]
    assert masters == ["super-admin"]


def test_a_certificate_made_for_system_masters_is_remade_in_its_own_group(pki: Path) -> None:
    """A cluster deployed before admins were revocable: admin.crt moves, its key stays."""
    old = [
        replace(c, orgs=("system:masters",))
        if c.stem in ("admin", "apiserver-kubelet-client")
        else c
        for c in stacked().certs
    ]
    ensure(pki, Spec(old))
    before = snapshot(pki)
    changed = ensure(pki, stacked())
    assert sorted(changed) == ["admin.crt", "apiserver-kubelet-client.crt"]
    assert snapshot(pki)["admin.key"] == before["admin.key"]
    orgs = cert(pki, "admin").subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert [o.value for o in orgs] == ["hatool:cluster-admins"]


def test_the_three_cas_are_separate(pki: Path) -> None:
    keys = {
        cert(pki, ca).public_key().public_numbers() for ca in ("ca", "etcd/ca", "front-proxy-ca")
    }  # type: ignore[union-attr]
    assert len(keys) == 3
    with pytest.raises(ValueError, match=r"[Ii]ssuer"):
        cert(pki, "apiserver-etcd-client").verify_directly_issued_by(cert(pki, "ca"))


def test_keys_are_private_and_folders_closed(pki: Path) -> None:
    keys = list(pki.rglob("*.key"))
    assert len(keys) > 10
    assert {oct(k.stat().st_mode & 0o777) for k in keys} == {"0o600"}
    assert oct(pki.stat().st_mode & 0o777) == "0o700"
    assert oct((pki / "etcd").stat().st_mode & 0o777) == "0o700"


def test_a_second_run_changes_nothing(pki: Path) -> None:
    before = snapshot(pki)
    assert ensure(pki, stacked()) == []
    assert snapshot(pki) == before


def test_a_new_master_remakes_only_the_certificates_that_name_it(pki: Path) -> None:
    before = snapshot(pki)
    changed = ensure(pki, stacked([*MASTERS, Host("master-4", "127.0.6.4")]))
    assert sorted(changed) == sorted(
        [
            "apiserver.crt",
            "etcd/master-4-server.crt", "etcd/master-4-server.key",
            "etcd/master-4-peer.crt", "etcd/master-4-peer.key",
        ]
    )  # fmt: skip
    after = snapshot(pki)
    assert after["apiserver.key"] == before["apiserver.key"]  # the key is kept
    assert after["apiserver.crt"] != before["apiserver.crt"]
    assert pairs_with_its_key(pki, "apiserver")
    assert "master-4" in sans(cert(pki, "apiserver"))


def test_a_certificate_about_to_expire_is_renewed_with_its_key(pki: Path) -> None:
    spec = stacked()
    spec.renew_before_days = 400  # every 1-year leaf is now "about to expire"
    before, old = snapshot(pki), cert(pki, "admin")
    changed = ensure(pki, spec)
    assert "admin.crt" in changed
    assert "admin.key" not in changed
    assert "ca.crt" not in changed
    renewed = cert(pki, "admin")
    assert renewed.serial_number != old.serial_number
    renewed.verify_directly_issued_by(cert(pki, "ca"))
    assert snapshot(pki)["admin.key"] == before["admin.key"]
    assert pairs_with_its_key(pki, "admin")


def test_a_lost_ca_is_remade_with_everything_it_signed(pki: Path) -> None:
    (pki / "etcd" / "ca.crt").unlink()
    changed = set(ensure(pki, stacked()))
    assert {"etcd/ca.crt", "etcd/master-1-server.crt", "apiserver-etcd-client.crt"} <= changed
    assert "apiserver.crt" not in changed
    cert(pki, "etcd/master-1-peer").verify_directly_issued_by(cert(pki, "etcd/ca"))


def test_check_mode_reports_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    changed = ensure(root, stacked(), check=True)
    assert "ca.key" in changed
    assert "apiserver.crt" in changed
    assert not root.exists()


def test_check_mode_on_an_existing_folder_reports_what_a_real_run_changes(pki: Path) -> None:
    bigger = stacked([*MASTERS, Host("master-4", "127.0.6.4")])
    (pki / "scheduler.crt").unlink()
    before = snapshot(pki)
    would_change = ensure(pki, bigger, check=True)
    assert snapshot(pki) == before
    assert sorted(would_change) == sorted(ensure(pki, bigger))
    assert "scheduler.crt" in would_change


def test_kubeconfig_is_private_and_rewritten_only_on_change(pki: Path, tmp_path: Path) -> None:
    path = tmp_path / "admin.conf"
    opts = {"cluster": "c", "server": "https://127.0.6.10:6443", "user": "u", "stem": "admin"}
    assert kubeconfig.ensure(path, pki, check=False, **opts)
    mtime = path.stat().st_mtime_ns
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not kubeconfig.ensure(path, pki, check=False, **opts)
    assert path.stat().st_mtime_ns == mtime
    assert kubeconfig.ensure(path, pki, check=True, **{**opts, "server": "https://x:6443"})
    assert path.stat().st_mtime_ns == mtime  # check mode: reported, not written
    assert kubeconfig.ensure(path, pki, check=False, **{**opts, "server": "https://x:6443"})
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://x:6443"
    user = config["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == (pki / "admin.crt").read_bytes()
    assert base64.b64decode(user["client-key-data"]) == (pki / "admin.key").read_bytes()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["admin.conf", "pki"]  # no temporary left


def test_a_rewritten_file_takes_the_new_mode_even_over_a_stale_temporary(tmp_path: Path) -> None:
    path = tmp_path / "new" / "secret.key"
    path.parent.mkdir()
    path.write_bytes(b"old")
    path.chmod(0o644)
    stale = path.with_name(".secret.key.tmp")  # left by an interrupted run, too open
    stale.write_bytes(b"stale")
    stale.chmod(0o666)
    write_atomically(path, b"new", 0o600)
    assert path.read_bytes() == b"new"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not stale.exists()
    write_atomically(tmp_path / "made" / "deep" / "x.crt", b"c", 0o644)
    assert oct((tmp_path / "made" / "deep").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "made" / "deep" / "x.crt").stat().st_mode & 0o777) == "0o644"


def test_describe_says_what_one_certificate_holds(pki: Path) -> None:
    leaf = cert(pki, "apiserver")
    ten_days_before = leaf.not_valid_after_utc - dt.timedelta(days=10, hours=1)
    info = describe(pki / "apiserver.crt", now=ten_days_before)
    assert info.path == pki / "apiserver.crt"
    assert info.subject == "CN=kube-apiserver"
    assert info.issuer == "CN=kubernetes-ca"
    assert info.sans == next(c.sans for c in stacked().certs if c.stem == "apiserver")
    assert info.serial == leaf.serial_number
    assert info.not_after == leaf.not_valid_after_utc
    assert info.days_left == 10


def test_describe_counts_days_left_from_now_and_below_zero_once_expired(pki: Path) -> None:
    info = describe(pki / "admin.crt")
    assert info.subject == "CN=kubernetes-admin,O=hatool:cluster-admins"
    assert info.sans == ()
    assert info.days_left == 364  # a fresh leaf lives 365 days, less the moments since
    expired = describe(pki / "admin.crt", now=info.not_after + dt.timedelta(hours=1))
    assert expired.days_left == -1


def test_describe_names_the_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(HatoolError, match=r"missing\.crt: no such certificate file"):
        describe(tmp_path / "missing.crt")
    (tmp_path / "junk.crt").write_text("not a certificate")
    with pytest.raises(HatoolError, match=r"junk\.crt: not a PEM certificate"):
        describe(tmp_path / "junk.crt")


def test_inventory_lists_every_certificate_in_the_folder_and_no_key(pki: Path) -> None:
    inventory = inventory_of(pki)
    stems = [i.path.relative_to(pki).with_suffix("").as_posix() for i in inventory]
    assert sorted(stems) == sorted([*CAS, *(c.stem for c in stacked().certs)])
    assert [i.path for i in inventory] == sorted(i.path for i in inventory)
    by_stem = dict(zip(stems, inventory, strict=True))
    assert by_stem["etcd/ca"].subject == by_stem["etcd/ca"].issuer == "CN=etcd-ca"
    assert by_stem["etcd/master-2-peer"].issuer == "CN=etcd-ca"
    assert by_stem["front-proxy-client"].issuer == "CN=front-proxy-ca"


def test_inventory_of_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HatoolError, match="no such PKI folder"):
        inventory_of(tmp_path / "pki")
