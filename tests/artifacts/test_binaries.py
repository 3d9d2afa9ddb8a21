"""The real binaries in the artifact cache: the right versions, checksums intact."""

from __future__ import annotations

import subprocess

import pytest

from hatool.artifacts import cache
from hatool.cli import main
from hatool.files import sha256_file
from hatool.versions import OFFLINE_ETCD_VERSION, OFFLINE_KUBE_VERSION

pytestmark = pytest.mark.artifacts


@pytest.mark.parametrize("binary", ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
def test_kubernetes_binaries_are_v1_20_2(binary: str) -> None:
    path = cache.binary_path(binary, OFFLINE_KUBE_VERSION)
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "Kubernetes v1.20.2"


def test_kubectl_is_v1_20_2() -> None:
    path = cache.binary_path("kubectl", OFFLINE_KUBE_VERSION)
    done = subprocess.run(
        [path, "version", "--client", "--short"], capture_output=True, text=True, check=True
    )
    assert "v1.20.2" in done.stdout


def test_etcd_and_etcdctl_are_3_4_23() -> None:
    etcd = cache.binary_path("etcd", OFFLINE_ETCD_VERSION)
    etcdctl = cache.binary_path("etcdctl", OFFLINE_ETCD_VERSION)
    assert (
        "etcd Version: 3.4.23"
        in subprocess.run([etcd, "--version"], capture_output=True, text=True, check=True).stdout
    )
    assert (
        "etcdctl version: 3.4.23"
        in subprocess.run([etcdctl, "version"], capture_output=True, text=True, check=True).stdout
    )


def test_etcd_3_5_16_for_the_upgrade_has_etcdutl() -> None:
    for binary, words in (
        ("etcd", ["--version"]),
        ("etcdctl", ["version"]),
        ("etcdutl", ["version"]),
    ):
        path = cache.binary_path(binary, "v3.5.16")
        done = subprocess.run([path, *words], capture_output=True, text=True, check=True)
        assert "3.5.16" in done.stdout.splitlines()[0]


def test_mirror_checksum_files_match_the_binaries() -> None:
    layout = cache.Layout(cache.artifacts_dir(), OFFLINE_KUBE_VERSION, OFFLINE_ETCD_VERSION)
    for binary in cache.KUBE_BINARIES:
        path = layout.kube_binary(binary)
        published = path.with_name(binary + ".sha256").read_text().strip()
        assert published == sha256_file(path)
    sums = cache.parse_sums((layout.etcd_folder / "SHA256SUMS").read_text())
    assert sums[layout.etcd_tarball.name] == sha256_file(layout.etcd_tarball)


def test_the_cache_verifies_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["artifacts", "--verify"]) == 0
    assert "match SHA256SUMS" in capsys.readouterr().out


def test_a_second_run_builds_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["artifacts"]) == 0
    captured = capsys.readouterr()
    assert "cached" in captured.err
    assert "build" not in captured.err
