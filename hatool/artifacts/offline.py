"""The offline source: Kubernetes v1.20.2 built from Debian 12's source package
with Go 1.15 from Debian 11, etcd 3.4.23 from Debian 12's packages, and etcd
3.5.16 from Debian 13's (for the etcd upgrade the lab proves).

Everything comes through apt from the archive that the machine's own apt
configuration names; intermediate work stays under ``cache_dir()/build`` so a
rebuild is cheap, and a complete cache is reused without building anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from hatool.artifacts import cache
from hatool.artifacts.apt import PrivateApt, debian_archive, signed_by
from hatool.errors import CommandFailed, HatoolError
from hatool.files import sha256_file
from hatool.paths import cache_dir
from hatool.progress import Progress
from hatool.versions import OFFLINE_ETCD_VERSION, OFFLINE_ETCD_VERSIONS, OFFLINE_KUBE_VERSION

GO_PACKAGES = ["golang-1.15-go", "golang-1.15-src"]
ETCD_PACKAGES = ["etcd-server", "etcd-client"]
#: The Debian release whose etcd-server and etcd-client packages are each offline etcd.
ETCD_SUITES = {"v3.4.23": "bookworm", "v3.5.16": "trixie"}
MAKE_WHAT = "cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubectl"


def _require_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise HatoolError(
            f"the offline build needs {', '.join(missing)} on PATH; "
            f"install with: apt-get install -y {' '.join(missing)} (or run 'bash scripts/setup')"
        )


def _debs(folder: Path, names: list[str]) -> list[Path]:
    found = []
    for name in names:
        matches = sorted(folder.glob(f"{name}_*.deb"))
        if not matches:
            return []
        found.append(matches[-1])
    return found


def _extract_debs(debs: list[Path], dest: Path) -> None:
    stamp = dest / ".extracted"
    if stamp.exists():
        return
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for deb in debs:
        argv = ["dpkg-deb", "-x", str(deb), str(dest)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CommandFailed(argv, done.returncode, done.stderr)
    stamp.touch()


class OfflineBuild:
    """Builds the offline artifact set into the cache, step by step, reusing what exists."""

    def __init__(self, root: Path | None = None, progress: Progress | None = None) -> None:
        base = root or cache.artifacts_dir()
        #: one layout per offline etcd release; they share the Kubernetes binaries
        self.layouts = [
            cache.Layout(base, OFFLINE_KUBE_VERSION, etcd) for etcd in OFFLINE_ETCD_VERSIONS
        ]
        self.layout = next(x for x in self.layouts if x.etcd_version == OFFLINE_ETCD_VERSION)
        self.work = cache_dir() / "build"
        self.progress = progress or Progress()

    def _apt(self, suite: str, with_source: bool) -> PrivateApt:
        archive = debian_archive()
        opts = signed_by()
        lines = [f"deb {opts} {archive} {suite} main".replace("  ", " ")]
        if with_source:
            lines.append(f"deb-src {opts} {archive} {suite} main".replace("  ", " "))
        return PrivateApt(self.work / f"apt-{suite}", lines)

    def _debs_of(self, suite: str, packages: list[str], what: str, *, source: bool) -> list[Path]:
        """The .deb files of ``packages`` from Debian ``suite``, downloaded once."""
        folder = self.work / f"debs-{suite}"
        debs = _debs(folder, packages)
        if not debs:
            with self.progress.step(f"download {what}"):
                self._apt(suite, with_source=source).download(packages, folder)
            debs = _debs(folder, packages)
        return debs

    def run(self, *, force: bool = False) -> cache.Layout:
        """Build what the cache lacks (everything with ``force``); files there are kept."""
        versions = "/".join((OFFLINE_KUBE_VERSION, *OFFLINE_ETCD_VERSIONS))
        if not force and all(cache.is_complete(x) for x in self.layouts):
            self.progress.say(f"artifacts {versions}: cached")
            return self.layout
        self.work.mkdir(parents=True, exist_ok=True)
        if force or not all(self.layout.kube_binary(b).is_file() for b in cache.KUBE_BINARIES):
            self.kubernetes()
        for layout in self.layouts:
            if force or not layout.etcd_tarball.is_file():
                self.etcd(layout)
        self.controller_binaries()
        cache.write_manifest(self.layout.root)
        return self.layout

    # -- Kubernetes ---------------------------------------------------------

    def go_root(self) -> Path:
        debs = self._debs_of(
            "bullseye", GO_PACKAGES, "Go 1.15 from Debian 11 (bullseye)", source=False
        )
        go_dir = self.work / "go1.15"
        _extract_debs(debs, go_dir)
        root = go_dir / "usr" / "lib" / "go-1.15"
        if not (root / "bin" / "go").is_file():
            raise HatoolError(f"Go 1.15 not found at {root} after unpacking {debs}")
        return root

    def source_tree(self) -> Path:
        src_dir = self.work / "src"
        tarballs = sorted(src_dir.glob("kubernetes_*.orig.tar.gz"))
        if not tarballs:
            with self.progress.step("download Debian 12's kubernetes source package"):
                self._apt("bookworm", with_source=True).source("kubernetes", src_dir)
            tarballs = sorted(src_dir.glob("kubernetes_*.orig.tar.gz"))
        if not tarballs:
            raise HatoolError(f"no kubernetes_*.orig.tar.gz in {src_dir} after apt-get source")
        tree = self.work / f"kubernetes-{OFFLINE_KUBE_VERSION}"
        if not (tree / "Makefile").is_file():
            with self.progress.step(f"unpack {tarballs[-1].name}"):
                shutil.rmtree(tree, ignore_errors=True)
                tree.mkdir(parents=True)
                with tarfile.open(tarballs[-1]) as tar:
                    tar.extractall(tree, filter="data")
                children = [p for p in tree.iterdir() if p.is_dir()]
                if not (tree / "Makefile").is_file() and len(children) == 1:
                    inner = children[0]
                    for item in inner.iterdir():
                        item.rename(tree / item.name)
                    inner.rmdir()
        return tree

    def kubernetes(self) -> None:
        _require_tools("make", "rsync", "apt-get", "dpkg-deb")
        go_root = self.go_root()
        tree = self.source_tree()
        env = dict(os.environ)
        env.update(
            GOROOT=str(go_root),
            PATH=f"{go_root / 'bin'}:{env.get('PATH', '')}",
            GOFLAGS="-mod=vendor",
            GOPROXY="off",
            GO111MODULE="on",
            GOCACHE=str(self.work / "gocache"),
            GOPATH=str(self.work / "gopath"),
        )
        argv = [
            "make",
            f"WHAT={MAKE_WHAT}",
            f"KUBE_GIT_VERSION={OFFLINE_KUBE_VERSION}",
            "KUBE_GIT_TREE_STATE=clean",
            "GOLDFLAGS=-s -w",
        ]
        log = self.work / "kubernetes-build.log"
        with self.progress.step(
            f"build Kubernetes {OFFLINE_KUBE_VERSION} with Go 1.15 (log: {log})"
        ):
            with log.open("w") as out:
                done = subprocess.run(
                    argv, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
                )
            if done.returncode != 0:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                raise CommandFailed(argv, done.returncode, f"last lines of {log}:\n{tail}")
        out_dir = tree / "_output" / "bin"
        for binary in cache.KUBE_BINARIES:
            built = out_dir / binary
            if not built.is_file():
                raise HatoolError(f"{built} was not produced by the build; see {log}")
            cache.install_binary(built, self.layout.kube_binary(binary))

    # -- etcd ---------------------------------------------------------------

    def etcd(self, layout: cache.Layout) -> None:
        """etcd of ``layout`` from its Debian packages, packed like the official tarball."""
        _require_tools("apt-get", "dpkg-deb")
        version, arch = layout.etcd_version, layout.arch
        suite = ETCD_SUITES[version]
        debs = self._debs_of(
            suite,
            ETCD_PACKAGES,
            f"etcd-server and etcd-client {version} from Debian {suite}",
            source=suite == "bookworm",
        )
        unpacked = self.work / ("etcd-debs" if suite == "bookworm" else f"etcd-debs-{suite}")
        _extract_debs(debs, unpacked)
        members = {name: unpacked / "usr" / "bin" / name for name in layout.etcd_binaries}
        for path in members.values():
            if not path.is_file():
                raise HatoolError(f"{path} not found in {', '.join(d.name for d in debs)}")
        prefix = f"etcd-{version}-linux-{arch}"
        data = cache.reproducible_tarball(members, prefix)
        cache.write_atomic(layout.etcd_tarball, data)
        digest = sha256_file(layout.etcd_tarball)
        sums = {layout.etcd_tarball.name: digest}
        cache.write_atomic(layout.etcd_folder / "SHA256SUMS", cache.format_sums(sums).encode())

    # -- the controller's own copies ---------------------------------------

    def controller_binaries(self) -> None:
        for binary in cache.KUBE_BINARIES:
            dest = self.layout.bin_path(binary)
            source = self.layout.kube_binary(binary)
            if not dest.is_file() or sha256_file(dest) != sha256_file(source):
                cache.write_atomic(dest, source.read_bytes(), 0o755)
        for layout in self.layouts:
            extract_etcd(layout)


def extract_etcd(layout: cache.Layout) -> None:
    """Unpack etcd and etcdctl from the cached tarball into ``bin/<etcd_version>/``."""
    with tarfile.open(layout.etcd_tarball) as tar:
        for binary in layout.etcd_binaries:
            prefix = f"etcd-{layout.etcd_version}-linux-{layout.arch}"
            member = tar.extractfile(f"{prefix}/{binary}")
            if member is None:
                raise HatoolError(f"{layout.etcd_tarball} has no {prefix}/{binary}")
            data = member.read()
            dest = layout.bin_path(binary)
            if not dest.is_file() or dest.read_bytes() != data:
                cache.write_atomic(dest, data, 0o755)
