"""Artifact cache: apt source discovery, checksums, verification, official download logic."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hatool.artifacts import cache, official
from hatool.artifacts.apt import PrivateApt, debian_archive, parse_sources
from hatool.artifacts.offline import ETCD_SUITES, OfflineBuild, extract_etcd
from hatool.errors import HatoolError
from hatool.files import sha256_file
from hatool.versions import OFFLINE_ETCD_VERSION, OFFLINE_ETCD_VERSIONS, etcd_binaries

ARCHIVE = "http://archive.invalid/debian"


def test_archive_from_a_deb822_sources_file(tmp_path: Path) -> None:
    (tmp_path / "debian.sources").write_text(
        "Types: deb\n# comment\nURIs: http://security.invalid/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        f"Types: deb deb-src\nURIs: {ARCHIVE}/\nSuites: bookworm bookworm-updates\n"
        "Components: main contrib\n"
    )
    (tmp_path / "other.sources").write_text(
        "Enabled: no\nTypes: deb\nURIs: http://off.invalid\nSuites: bookworm\nComponents: main\n"
    )
    assert debian_archive([tmp_path]) == ARCHIVE


def test_archive_from_a_one_line_list_file(tmp_path: Path) -> None:
    sources = tmp_path / "sources.list"
    sources.write_text(
        "# deb http://commented.invalid bookworm main\n"
        "deb-src http://src-only.invalid bookworm main\n"
        f"deb [arch=amd64 signed-by=/k.gpg] {ARCHIVE} bookworm main non-free\n"
    )
    assert debian_archive([sources]) == ARCHIVE
    assert [e.types for e in parse_sources([sources])] == [("deb-src",), ("deb",)]


def test_no_bookworm_entry_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.list").write_text("deb http://other.invalid bullseye main\n")
    with pytest.raises(HatoolError, match="no apt entry serves 'bookworm main'"):
        debian_archive([tmp_path])


def test_sums_round_trip_and_binary_mode_names() -> None:
    digest = "a" * 64
    assert cache.parse_sums(f"{digest} *etcd.tar.gz\n\n") == {"etcd.tar.gz": digest}
    text = cache.format_sums({"b": "1" * 64, "a": "2" * 64})
    assert text == f"{'2' * 64}  a\n{'1' * 64}  b\n"
    with pytest.raises(HatoolError, match="line 1"):
        cache.parse_sums("not-a-digest  file\n")


def test_urls_follow_the_official_layouts() -> None:
    assert (
        cache.kube_url(cache.OFFICIAL_KUBE_BASE, "v1.31.4", "arm64", "kubectl")
        == "https://dl.k8s.io/release/v1.31.4/bin/linux/arm64/kubectl"
    )
    assert (
        cache.etcd_url(cache.OFFICIAL_ETCD_BASE, "v3.5.16", "amd64")
        == "https://github.com/etcd-io/etcd/releases/download/v3.5.16/etcd-v3.5.16-linux-amd64.tar.gz"
    )
    assert cache.etcd_sums_url("http://m/etcd/releases/download/", "v3.4.23") == (
        "http://m/etcd/releases/download/v3.4.23/SHA256SUMS"
    )


def test_tarball_is_reproducible_and_laid_out_like_the_official_one(tmp_path: Path) -> None:
    (tmp_path / "etcd").write_bytes(b"etcd binary")
    (tmp_path / "etcdctl").write_bytes(b"etcdctl binary")
    members = {"etcd": tmp_path / "etcd", "etcdctl": tmp_path / "etcdctl"}
    first = cache.reproducible_tarball(members, "etcd-v3.4.23-linux-amd64")
    (tmp_path / "etcd").touch()  # a new mtime changes nothing
    assert cache.reproducible_tarball(members, "etcd-v3.4.23-linux-amd64") == first
    out = tmp_path / "t.tar.gz"
    out.write_bytes(first)
    layout = cache.Layout(tmp_path / "c", "v1.20.2", "v3.4.23")
    layout.etcd_tarball.parent.mkdir(parents=True)
    layout.etcd_tarball.write_bytes(first)
    extract_etcd(layout)
    assert layout.bin_path("etcdctl").read_bytes() == b"etcdctl binary"


@pytest.mark.parametrize(
    ("version", "binaries"),
    [
        ("v3.4.23", ("etcd", "etcdctl")),
        ("v3.5.16", ("etcd", "etcdctl", "etcdutl")),
        ("v3.6.5", ("etcd", "etcdctl", "etcdutl")),
    ],
)
def test_etcd_3_5_and_later_ship_etcdutl(version: str, binaries: tuple[str, ...]) -> None:
    assert etcd_binaries(version) == binaries
    layout = cache.Layout(Path("/c"), "v1.20.2", version)
    assert [
        p for p in layout.expected_files() if p.parent.name == version and "bin" in p.parts
    ] == [Path(f"/c/bin/{version}/{b}") for b in binaries]


def test_each_offline_etcd_release_has_its_debian_suite() -> None:
    assert sorted(ETCD_SUITES) == sorted(OFFLINE_ETCD_VERSIONS)
    assert ETCD_SUITES[OFFLINE_ETCD_VERSION] == "bookworm"
    build = OfflineBuild(Path("/nowhere"))
    assert [x.etcd_version for x in build.layouts] == list(OFFLINE_ETCD_VERSIONS)
    assert build.layout.etcd_version == OFFLINE_ETCD_VERSION


def test_a_private_apt_run_ignores_the_machines_installed_packages(tmp_path: Path) -> None:
    apt = PrivateApt(tmp_path, ["deb http://archive.test/debian trixie main"])
    assert "-o=Dir::State::status=/dev/null" in apt._options()
    assert "-o=Dir::Etc::SourceParts=/dev/null" in apt._options()


def _small_cache(root: Path) -> cache.Layout:
    layout = cache.Layout(root, "v1.20.2", "v3.4.23")
    for binary in cache.KUBE_BINARIES:
        src = root / f"src-{binary}"
        src.write_bytes(f"{binary} contents".encode())
        cache.install_binary(src, layout.kube_binary(binary))
        src.unlink()
    cache.write_manifest(root)
    return layout


def test_a_clean_cache_verifies(tmp_path: Path) -> None:
    _small_cache(tmp_path)
    assert cache.verify(tmp_path) == []


def test_one_corrupted_byte_is_reported_with_both_checksums(tmp_path: Path) -> None:
    layout = _small_cache(tmp_path)
    target = layout.kube_binary("kube-scheduler")
    expected = sha256_file(target)
    data = bytearray(target.read_bytes())
    data[3] ^= 0x01
    target.write_bytes(bytes(data))
    problems = cache.verify(tmp_path)
    assert len(problems) == 1
    message = str(problems[0])
    assert "mirror/kubernetes/release/v1.20.2/bin/linux/amd64/kube-scheduler" in message
    assert f"expected sha256 {expected}" in message
    assert f"got {hashlib.sha256(bytes(data)).hexdigest()}" in message


def test_a_missing_artifact_is_reported(tmp_path: Path) -> None:
    layout = _small_cache(tmp_path)
    layout.kube_binary("kubectl").unlink()
    problems = cache.verify(tmp_path)
    assert [p.actual for p in problems] == [None]
    assert "kubectl: missing" in str(problems[0])


def test_verify_without_a_cache_says_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(HatoolError, match="run 'hatool artifacts'"):
        cache.verify(tmp_path)


# -- the official source, against a fake upstream on loopback ---------------


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "upstream"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[assignment,method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _publish(root: Path, kube: str = "v1.31.4", etcd: str = "v3.5.16") -> None:
    for binary in cache.KUBE_BINARIES:
        path = root / "k8s" / cache.kube_relpath(kube, "amd64", binary)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"official {binary}".encode())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (path.parent / f"{binary}.sha256").write_text(f"{digest}\n")
    folder = root / "etcd" / etcd
    folder.mkdir(parents=True)
    binaries = folder / "b"
    binaries.mkdir()
    for name in etcd_binaries(etcd):
        (binaries / name).write_bytes(f"official {name}".encode())
    prefix = f"etcd-{etcd}-linux-amd64"
    tar = cache.reproducible_tarball({n: binaries / n for n in etcd_binaries(etcd)}, prefix)
    (folder / f"{prefix}.tar.gz").write_bytes(tar)
    digest = hashlib.sha256(tar).hexdigest()
    (folder / "SHA256SUMS").write_text(f"{'0' * 64}  other.zip\n{digest}  {prefix}.tar.gz\n")


def test_official_download_verifies_and_fills_the_mirror(
    tmp_path: Path, upstream: tuple[Path, str]
) -> None:
    root, url = upstream
    _publish(root)
    layout = official.download(
        "v1.31.4", "v3.5.16", root=tmp_path / "cache",
        kube_base=f"{url}/k8s", etcd_base=f"{url}/etcd",
    )  # fmt: skip
    assert layout.kube_binary("kubectl").read_bytes() == b"official kubectl"
    assert layout.bin_path("etcdctl").read_bytes() == b"official etcdctl"
    assert cache.verify(layout.root) == []
    assert cache.is_complete(layout)


def test_official_download_rejects_a_checksum_mismatch(
    tmp_path: Path, upstream: tuple[Path, str]
) -> None:
    root, url = upstream
    _publish(root)
    (root / "k8s" / cache.kube_relpath("v1.31.4", "amd64", "kube-apiserver")).write_bytes(b"evil")
    with pytest.raises(
        HatoolError, match=r"kube-apiserver: checksum mismatch: expected sha256 \w{64}"
    ):
        official.download(
            "v1.31.4", "v3.5.16", root=tmp_path / "cache",
            kube_base=f"{url}/k8s", etcd_base=f"{url}/etcd",
        )  # fmt: skip
    assert not (
        tmp_path
        / "cache"
        / "mirror"
        / "kubernetes"
        / "release"
        / "v1.31.4"
        / "bin"
        / "linux"
        / "amd64"
        / "kube-apiserver"
    ).exists()


def test_official_download_reports_http_404_with_the_url(
    tmp_path: Path, upstream: tuple[Path, str]
) -> None:
    root, url = upstream
    _publish(root)
    with pytest.raises(
        HatoolError,
        match=r"download failed: .*/v1.99.0/bin/linux/amd64/kube-apiserver.sha256: HTTP 404",
    ):
        official.download(
            "v1.99.0", "v3.5.16", root=tmp_path / "cache",
            kube_base=f"{url}/k8s", etcd_base=f"{url}/etcd",
        )  # fmt: skip


def test_official_download_needs_the_tarball_listed_in_sha256sums(
    tmp_path: Path, upstream: tuple[Path, str]
) -> None:
    root, url = upstream
    _publish(root)
    (root / "etcd" / "v3.5.16" / "SHA256SUMS").write_text(f"{'0' * 64}  other.zip\n")
    with pytest.raises(
        HatoolError, match=r"lists no checksum for etcd-v3\.5\.16-linux-amd64\.tar\.gz"
    ):
        official.download(
            "v1.31.4", "v3.5.16", root=tmp_path / "cache",
            kube_base=f"{url}/k8s", etcd_base=f"{url}/etcd",
        )  # fmt: skip
