"""The lab host image: Debian 12 from debootstrap, imported into Docker.

There is no image registry, so the image is built locally. Its tag carries
a hash of the recipe (the files in ``hatool/lab/image/``), so it is rebuilt
only when the recipe changes; the root filesystem tarball is also kept in
``cache_dir()/images`` so that a reset Docker engine re-imports it without
running debootstrap again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from hatool.artifacts.apt import debian_archive
from hatool.errors import CommandFailed, HatoolError
from hatool.lab import docker
from hatool.paths import cache_dir
from hatool.progress import Progress

RECIPE_DIR = Path(__file__).resolve().parent / "image"
REPOSITORY = "hatool-host"
IMPORT_CHANGES = (
    'CMD ["/sbin/init"]',
    "ENV container=docker",
)


def recipe_hash(recipe_dir: Path = RECIPE_DIR) -> str:
    """First 12 hex digits of the sha256 over the recipe's file names and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in recipe_dir.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for change in IMPORT_CHANGES:
        digest.update(change.encode() + b"\0")
    return digest.hexdigest()[:12]


def image_tag(recipe_dir: Path = RECIPE_DIR) -> str:
    return f"{REPOSITORY}:{recipe_hash(recipe_dir)}"


def _import(tarball: Path, tag: str) -> None:
    argv = ["docker", "import"]
    for change in IMPORT_CHANGES:
        argv += ["--change", change]
    argv += [str(tarball), tag]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stderr)


def ensure_image(progress: Progress | None = None, *, rebuild: bool = False) -> str:
    """Build or reuse the host image; return its tag."""
    progress = progress or Progress()
    docker.ensure_engine()
    tag = image_tag()
    if not rebuild and docker.inspect("image", tag) is not None:
        return tag
    tarball = cache_dir() / "images" / f"{tag.replace(':', '-')}.tar"
    if rebuild or not tarball.is_file():
        build_rootfs(tarball, progress)
    with progress.step(f"import {tarball.name} as {tag}"):
        _import(tarball, tag)
    return tag


def build_rootfs(tarball: Path, progress: Progress) -> None:
    """Run the recipe's debootstrap build and pack the result into ``tarball``."""
    if shutil.which("debootstrap") is None:
        raise HatoolError(
            "debootstrap is not installed; run 'bash scripts/setup' or apt-get install debootstrap"
        )
    archive = debian_archive()
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hatool-rootfs-", dir=tarball.parent) as tmp:
        rootfs = Path(tmp) / "rootfs"
        log = tarball.with_suffix(".log")
        argv = ["bash", str(RECIPE_DIR / "build.sh"), str(rootfs), archive]
        with progress.step(f"build the lab host image with debootstrap (log: {log})"):
            with log.open("w") as out:
                done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
                raise CommandFailed(argv, done.returncode, f"last lines of {log}:\n{tail}")
        partial = tarball.with_suffix(".tar.partial")
        pack = ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."]
        with progress.step(f"pack the root filesystem into {tarball}"):
            packed = subprocess.run(pack, capture_output=True, text=True, check=False)
            if packed.returncode != 0:
                raise CommandFailed(pack, packed.returncode, packed.stderr)
            partial.replace(tarball)
