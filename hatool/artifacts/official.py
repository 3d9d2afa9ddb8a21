"""The online source: official release binaries, each verified against its published sha256.

Kubernetes binaries come from ``https://dl.k8s.io/release/<v>/bin/linux/<arch>/<bin>``
with ``<bin>.sha256`` beside each; etcd from the GitHub release tarball
``etcd-<v>-linux-<arch>.tar.gz`` with that release's ``SHA256SUMS``. They go
into the same mirror layout as the offline build, so the roles install both
the same way.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from hatool.artifacts import cache
from hatool.artifacts.offline import extract_etcd
from hatool.errors import EXIT_CHECK_FAILED, HatoolError
from hatool.progress import Progress

TIMEOUT = 60


def fetch(url: str) -> bytes:
    """GET ``url``; a clear one-line error for HTTP and network failures."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) URLs built here
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        raise HatoolError(f"download failed: {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HatoolError(f"download failed: {url}: {reason}") from None


def published_sha256(text: str, url: str, name: str | None = None) -> str:
    """The digest in a ``.sha256`` file (bare hex) or, with ``name``, a ``SHA256SUMS`` file."""
    if name is None:
        words = text.split()
        if not words or len(words[0]) != 64:
            raise HatoolError(f"{url} does not hold a sha256 digest")
        return words[0].lower()
    sums = cache.parse_sums(text)
    if name not in sums:
        raise HatoolError(f"{url} lists no checksum for {name}")
    return sums[name]


def verified(url: str, expected: str, name: str) -> bytes:
    data = fetch(url)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise HatoolError(
            f"{name}: checksum mismatch: expected sha256 {expected} (published), "
            f"got {actual} ({url})",
            exit_code=EXIT_CHECK_FAILED,
        )
    return data


def download(
    kube_version: str,
    etcd_version: str,
    arch: str = "amd64",
    *,
    root: Path | None = None,
    kube_base: str = cache.OFFICIAL_KUBE_BASE,
    etcd_base: str = cache.OFFICIAL_ETCD_BASE,
    progress: Progress | None = None,
) -> cache.Layout:
    """Fetch and verify one official version set into the cache's mirror layout."""
    progress = progress or Progress()
    layout = cache.Layout(root or cache.artifacts_dir(), kube_version, etcd_version, arch)
    if cache.is_complete(layout):
        progress.say(f"artifacts {kube_version}/{etcd_version} ({arch}): cached")
        return layout
    for binary in cache.KUBE_BINARIES:
        url = cache.kube_url(kube_base, kube_version, arch, binary)
        with progress.step(f"download {url}"):
            expected = published_sha256(fetch(url + ".sha256").decode(), url + ".sha256")
            data = verified(url, expected, binary)
        dest = layout.kube_binary(binary)
        cache.write_atomic(dest, data, 0o755)
        cache.write_atomic(dest.with_name(binary + ".sha256"), f"{expected}\n".encode())
        cache.write_atomic(layout.bin_path(binary), data, 0o755)
    sums_url = cache.etcd_sums_url(etcd_base, etcd_version)
    tarball = cache.etcd_tarball_name(etcd_version, arch)
    url = cache.etcd_url(etcd_base, etcd_version, arch)
    with progress.step(f"download {url}"):
        sums_text = fetch(sums_url).decode()
        expected = published_sha256(sums_text, sums_url, tarball)
        data = verified(url, expected, tarball)
    cache.write_atomic(layout.etcd_tarball, data)
    cache.write_atomic(
        layout.etcd_folder / "SHA256SUMS", cache.format_sums({tarball: expected}).encode()
    )
    extract_etcd(layout)
    cache.write_manifest(layout.root)
    return layout
