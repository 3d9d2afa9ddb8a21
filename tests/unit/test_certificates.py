"""The certificate lifecycle: every certificate listed with its days left, forced renewal of leaves."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from hatool.cli import main
from hatool.pki import describe, ensure, inventory_of, spec_for
from hatool.pki.certinfo import describe_pem, kubeconfig_client_pem
from hatool.pki.certs import cert_pem, issue_ca, issue_leaf, new_key
from hatool.pki.spec import CertSpec
from hatool.verify.certificates import (
    CertRow,
    controller_rows,
    expiring,
    host_command,
    host_files,
    parse_host_output,
)
from hatool.verify.checks import certificates
from hatool.verify.remote import Result
from tests.helpers.inventories import cluster_of, model, target_of


def deployed_pki(tmp_path: Path) -> Path:
    cluster = cluster_of(model(), str(tmp_path))
    pki = Path(cluster.paths.pki)
    ensure(pki, spec_for(cluster))
    return pki


def test_a_forced_renewal_remakes_every_leaf_and_keeps_cas_and_keys(tmp_path: Path) -> None:
    pki = deployed_pki(tmp_path)
    before = {p: describe(p) for p in pki.rglob("*.crt")}
    keys = {p: p.read_bytes() for p in pki.rglob("*.key")}
    cluster = cluster_of(model(), str(tmp_path))
    changed = ensure(pki, spec_for(cluster), renew_leaves=True)
    after = {p: describe(p) for p in pki.rglob("*.crt")}
    leaves = [p for p, info in before.items() if not info.ca]
    cas = [p for p, info in before.items() if info.ca]
    assert len(leaves) == len(spec_for(cluster).certs) == 16
    assert len(cas) == 3
    assert sorted(changed) == sorted(p.relative_to(pki).as_posix() for p in leaves)
    for path in leaves:
        assert after[path].serial != before[path].serial
        assert after[path].not_after >= before[path].not_after
    assert all(after[p] == before[p] for p in cas)
    assert {p: p.read_bytes() for p in pki.rglob("*.key")} == keys
    # without force, nothing is due: a second run changes nothing
    assert ensure(pki, spec_for(cluster)) == []


def test_a_pem_says_whether_it_is_a_ca(tmp_path: Path) -> None:
    ca, key = issue_ca("kubernetes-ca")
    leaf = issue_leaf(
        CertSpec("x", "ca", "x", sans=("h1", "10.0.0.1"), client=True), new_key(), (ca, key)
    )
    assert describe_pem(cert_pem(ca), tmp_path / "ca.crt").ca
    now = dt.datetime.now(dt.UTC)  # after the leaf was issued: it has just under 365 days
    info = describe_pem(cert_pem(leaf), tmp_path / "x.crt", now=now)
    assert (info.ca, info.subject, info.sans) == (False, "CN=x", ("h1", "10.0.0.1"))
    assert info.days_left == 364
    assert not info.expires_within(30, now)
    assert info.expires_within(365, now)


def test_only_the_client_certificate_of_a_kubeconfig_is_read(tmp_path: Path) -> None:
    pki = deployed_pki(tmp_path)
    admin = pki.parent / "admin.conf"
    text = yaml.safe_dump(
        {"users": [{"user": {"client-certificate-data": base64.b64encode((pki / "admin.crt").read_bytes()).decode(),
                             "client-key-data": "c2VjcmV0"}}]}
    )  # fmt: skip
    pem = kubeconfig_client_pem(text, admin)
    assert x509.load_pem_x509_certificate(pem).subject.rfc4514_string() == (
        "CN=kubernetes-admin,O=hatool:cluster-admins"
    )


def test_the_controller_rows_name_every_certificate(tmp_path: Path) -> None:
    pki = deployed_pki(tmp_path)
    cluster = cluster_of(model(), str(tmp_path))
    rows = controller_rows(cluster)
    files = len(inventory_of(pki))
    assert files == 3 + len(spec_for(cluster).certs)  # the CAs and every leaf
    assert len(rows) == files
    assert {r.kind for r in rows} == {"ca", "leaf"}
    assert all(r.host == "controller" for r in rows)


def test_a_host_is_asked_for_its_files_and_never_for_a_key() -> None:
    cluster = cluster_of(model())
    folders, kubeconfigs = host_files(cluster, "m1")
    assert folders == ["/etc/kubernetes/pki", "/etc/etcd/pki"]
    assert kubeconfigs == [
        "/etc/kubernetes/controller-manager.conf",
        "/etc/kubernetes/scheduler.conf",
    ]
    command = host_command(folders, kubeconfigs)
    assert "/etc/kubernetes/pki/*.crt" in command
    assert "client-certificate-data" in command
    assert ".key" not in command
    assert "client-key-data" not in command
    assert host_files(cluster, "lb") == ([], [])


def host_answer(pki: Path, stems: list[str], kubeconfig_stem: str | None = None) -> str:
    parts = [
        f"@@hatool-cert /etc/kubernetes/pki/{s}.crt\n{(pki / f'{s}.crt').read_text()}"
        for s in stems
    ]
    if kubeconfig_stem:
        data = base64.b64encode((pki / f"{kubeconfig_stem}.crt").read_bytes()).decode()
        parts.append(
            f"@@hatool-cert /etc/kubernetes/scheduler.conf\n    client-certificate-data: {data}\n"
        )
    return "".join(parts)


def test_a_host_s_answer_becomes_rows(tmp_path: Path) -> None:
    pki = deployed_pki(tmp_path)
    text = host_answer(pki, ["ca", "apiserver"], "scheduler")
    rows = parse_host_output("m1", text, ["/etc/kubernetes/scheduler.conf"])
    assert [(r.path, r.kind, r.info.subject) for r in rows] == [
        ("/etc/kubernetes/pki/ca.crt", "ca", "CN=kubernetes-ca"),
        ("/etc/kubernetes/pki/apiserver.crt", "leaf", "CN=kube-apiserver"),
        ("/etc/kubernetes/scheduler.conf", "kubeconfig", "CN=system:kube-scheduler"),
    ]
    assert rows[1].as_dict()["sans"][:3] == ["m1", "m2", "m3"]


class CertRemote:
    """Answers the certificate command of each host from a PKI folder."""

    def __init__(self, pki: Path) -> None:
        self.pki = pki

    def run(self, node: object, command: str, **_: object) -> Result:
        name = getattr(node, "name", "")
        return Result(name, command, 0, host_answer(self.pki, ["ca", "apiserver"]), "")


def test_the_verify_row_holds_when_nothing_is_due(tmp_path: Path) -> None:
    pki = deployed_pki(tmp_path)
    target = target_of(model(), str(tmp_path))
    (row,) = certificates(target, CertRemote(pki))  # type: ignore[arg-type]
    assert row.ok, row.detail
    assert row.name == "no certificate expires within 30 days"
    leaves = len(spec_for(target.cluster).certs)
    assert row.data["certificates"] == 3 * 2 + 3 + leaves  # 3 masters' 2 files; the controller


def test_the_verify_row_fails_and_names_each_certificate_within_the_threshold(
    tmp_path: Path,
) -> None:
    pki = deployed_pki(tmp_path)
    target = target_of(model(), str(tmp_path))
    (row,) = certificates(target, CertRemote(pki), days=400)  # type: ignore[arg-type]
    assert not row.ok
    assert (
        "m1:/etc/kubernetes/pki/apiserver.crt (CN=kube-apiserver) expires in 364 days" in row.detail
    )
    assert "m1:/etc/kubernetes/pki/ca.crt" not in row.detail  # the CAs have ten years
    assert len(row.data["expiring"]) == 3 + len(spec_for(target.cluster).certs)


def test_a_host_that_does_not_answer_fails_the_row(tmp_path: Path) -> None:
    deployed_pki(tmp_path)
    target = target_of(model(), str(tmp_path))

    class Down:
        def run(self, node: object, command: str, **_: object) -> Result:
            return Result(getattr(node, "name", ""), command, 255, "", "ssh: no route to host")

    (row,) = certificates(target, Down())  # type: ignore[arg-type]
    assert not row.ok
    assert "could not read m1 (ssh: no route to host)" in row.detail


def test_expiring_rows_come_soonest_first(tmp_path: Path) -> None:
    pki = deployed_pki(tmp_path)
    infos = [describe(pki / "ca.crt"), describe(pki / "admin.crt")]
    rows = [CertRow("controller", str(i.path), "x", i) for i in infos]
    assert [r.path for r in expiring(rows, 4000)] == [str(pki / "admin.crt"), str(pki / "ca.crt")]


def test_certs_refuses_an_inventory_that_was_never_deployed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars: {kube_version: v1.20.2, artifact_source: official}\n  children:\n"
        "    control_plane: {hosts: {m1: {ansible_host: 127.0.9.1}}}\n"
        "    loadbalancer: {hosts: {lb: {ansible_host: 127.0.9.4}}}\n"
    )
    assert main(["certs", str(inventory)]) == 2
    assert "deploy this inventory first" in capsys.readouterr().err
