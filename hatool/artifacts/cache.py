"""The artifact cache: a mirror of the official download locations, plus checksums.

Layout under ``cache_dir()/artifacts``::

    mirror/kubernetes/release/<kube_version>/bin/linux/<arch>/<binary>[.sha256]
    mirror/etcd/releases/download/<etcd_version>/etcd-<v>-linux-<arch>.tar.gz
    mirror/etcd/releases/download/<etcd_version>/SHA256SUMS
    bin/<version>/<binary>          plain binaries for the controller's own use
    SHA256SUMS                      every file of mirror/ and bin/, relative paths

The roles install every binary the same way, from the official base URLs or
from ``<artifact_mirror_url>`` serving ``mirror/``: download, verify sha256.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from hatool.errors import EXIT_CHECK_FAILED, HatoolError
from hatool.files import sha256_file
from hatool.paths import cache_dir
from hatool.versions import etcd_binaries

KUBE_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
ETCD_BINARIES = ("etcd", "etcdctl")

OFFICIAL_KUBE_BASE = "https://dl.k8s.io/release"
OFFICIAL_ETCD_BASE = "https://github.com/etcd-io/etcd/releases/download"


def artifacts_dir() -> Path:
    return cache_dir() / "artifacts"


def mirror_dir(root: Path | None = None) -> Path:
    return (root or artifacts_dir()) / "mirror"


def kube_relpath(version: str, arch: str, binary: str) -> str:
    """Path of a Kubernetes binary below a base URL or the mirror folder."""
    return f"{version}/bin/linux/{arch}/{binary}"


def etcd_tarball_name(version: str, arch: str) -> str:
    return f"etcd-{version}-linux-{arch}.tar.gz"


def kube_url(base: str, version: str, arch: str, binary: str) -> str:
    return f"{base.rstrip('/')}/{kube_relpath(version, arch, binary)}"


def etcd_url(base: str, version: str, arch: str) -> str:
    return f"{base.rstrip('/')}/{version}/{etcd_tarball_name(version, arch)}"


def etcd_sums_url(base: str, version: str) -> str:
    return f"{base.rstrip('/')}/{version}/SHA256SUMS"


@dataclass(frozen=True)
class Layout:
    """Where each artifact of one version set lives in a cache folder."""

    root: Path
    kube_version: str
    etcd_version: str
    arch: str = "amd64"

    @property
    def mirror(self) -> Path:
        return mirror_dir(self.root)

    def kube_binary(self, name: str) -> Path:
        return (
            self.mirror
            / "kubernetes"
            / "release"
            / kube_relpath(self.kube_version, self.arch, name)
        )

    @property
    def etcd_folder(self) -> Path:
        return self.mirror / "etcd" / "releases" / "download" / self.etcd_version

    @property
    def etcd_tarball(self) -> Path:
        return self.etcd_folder / etcd_tarball_name(self.etcd_version, self.arch)

    def bin_path(self, name: str) -> Path:
        """The controller's own copy of a binary: ``bin/<its version>/<name>``."""
        version = self.kube_version if name in KUBE_BINARIES else self.etcd_version
        return self.root / "bin" / version / name

    def expected_files(self) -> list[Path]:
        files = [self.kube_binary(b) for b in KUBE_BINARIES]
        files += [p.with_name(p.name + ".sha256") for p in files]
        files += [self.etcd_tarball, self.etcd_folder / "SHA256SUMS"]
        files += [self.bin_path(b) for b in (*KUBE_BINARIES, *self.etcd_binaries)]
        return files

    @property
    def etcd_binaries(self) -> tuple[str, ...]:
        return etcd_binaries(self.etcd_version)


def parse_sums(text: str) -> dict[str, str]:
    """``SHA256SUMS`` lines (``<hex>  <name>``, ``*name`` for binary mode) as name -> hex."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise HatoolError(f"SHA256SUMS line {number} is not '<sha256>  <file>': {line!r}")
        sums[parts[1].strip().lstrip("*")] = parts[0].lower()
    return sums


def format_sums(sums: dict[str, str]) -> str:
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    tmp.replace(path)


def install_binary(source: Path, dest: Path) -> str:
    """Copy a binary into the cache (0755) with its ``.sha256`` beside it; return the digest."""
    write_atomic(dest, source.read_bytes(), 0o755)
    digest = sha256_file(dest)
    write_atomic(dest.with_name(dest.name + ".sha256"), f"{digest}\n".encode())
    return digest


def reproducible_tarball(members: dict[str, Path], prefix: str) -> bytes:
    """A ``.tar.gz`` of ``members`` (name -> file) under ``prefix/``, the same bytes every time."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        folder = tarfile.TarInfo(prefix)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(folder)
        for name in sorted(members):
            data = members[name].read_bytes()
            info = tarfile.TarInfo(f"{prefix}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o755, 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def write_manifest(root: Path) -> Path:
    """Write ``root/SHA256SUMS`` for every file below ``mirror/`` and ``bin/``."""
    sums = {}
    for top in ("mirror", "bin"):
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                sums[path.relative_to(root).as_posix()] = sha256_file(path)
    manifest = root / "SHA256SUMS"
    write_atomic(manifest, format_sums(sums).encode())
    return manifest


@dataclass(frozen=True)
class Problem:
    file: str
    expected: str | None
    actual: str | None

    def __str__(self) -> str:
        if self.actual is None:
            return f"{self.file}: missing (expected sha256 {self.expected})"
        if self.expected is None:
            return f"{self.file}: not listed in SHA256SUMS (sha256 {self.actual})"
        return f"{self.file}: checksum mismatch: expected sha256 {self.expected}, got {self.actual}"


def verify(root: Path | None = None) -> list[Problem]:
    """Check every file that ``root/SHA256SUMS`` lists; return what is missing or corrupted."""
    root = root or artifacts_dir()
    manifest = root / "SHA256SUMS"
    if not manifest.is_file():
        raise HatoolError(
            f"{manifest} does not exist: the artifact cache is not built; run 'hatool artifacts'",
            exit_code=EXIT_CHECK_FAILED,
        )
    problems = []
    for name, expected in parse_sums(manifest.read_text()).items():
        path = root / name
        if not path.is_file():
            problems.append(Problem(name, expected, None))
            continue
        actual = sha256_file(path)
        if actual != expected:
            problems.append(Problem(name, expected, actual))
    return problems


def is_complete(layout: Layout) -> bool:
    """Every file of ``layout`` is present and matches the cache's SHA256SUMS."""
    manifest = layout.root / "SHA256SUMS"
    if not manifest.is_file() or not all(p.is_file() for p in layout.expected_files()):
        return False
    sums = parse_sums(manifest.read_text())
    for path in layout.expected_files():
        name = path.relative_to(layout.root).as_posix()
        if name not in sums or sums[name] != sha256_file(path):
            return False
    return True


def binary_path(name: str, version: str, root: Path | None = None) -> Path:
    """Where the controller's copy of ``name`` (``kubectl``, ``etcdctl``...) of ``version`` is."""
    path = (root or artifacts_dir()) / "bin" / version / name
    if not path.is_file() or not os.access(path, os.X_OK):
        raise HatoolError(f"{path} is missing; run 'hatool artifacts' first")
    return path
