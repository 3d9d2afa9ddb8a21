"""A lab host downloads an artifact over HTTP from this machine, as the roles do."""

from __future__ import annotations

import pytest

from hatool.artifacts import cache
from hatool.files import sha256_file
from hatool.lab.plan import Lab
from hatool.versions import OFFLINE_KUBE_VERSION

pytestmark = [pytest.mark.lab, pytest.mark.artifacts]


def test_a_lab_host_downloads_a_binary_and_its_sha256_matches(stacked_lab: Lab) -> None:
    binary = "kube-scheduler"
    url = cache.kube_url(
        f"{stacked_lab.artifact_url}/kubernetes/release", OFFLINE_KUBE_VERSION, "amd64", binary
    )
    host = stacked_lab.host("master-1")
    published = host.exec(["curl", "-fsS", f"{url}.sha256"]).stdout.strip()
    downloaded = host.exec(
        ["sh", "-c", f"curl -fsS -o /tmp/{binary} {url} && sha256sum /tmp/{binary}"]
    ).stdout.split()[0]
    layout = cache.Layout(cache.artifacts_dir(), OFFLINE_KUBE_VERSION, "v3.4.23")
    assert published == downloaded == sha256_file(layout.kube_binary(binary))
    host.exec(["rm", "-f", f"/tmp/{binary}"])


def test_the_etcd_tarball_checksum_is_published_beside_it(stacked_lab: Lab) -> None:
    base = f"{stacked_lab.artifact_url}/etcd/releases/download"
    host = stacked_lab.host("lb-1")
    tarball = cache.etcd_tarball_name("v3.4.23", "amd64")
    script = (
        f"cd /tmp && curl -fsS -O {base}/v3.4.23/{tarball} -O {base}/v3.4.23/SHA256SUMS "
        f"&& sha256sum -c SHA256SUMS && rm -f {tarball} SHA256SUMS"
    )
    assert f"{tarball}: OK" in host.exec(["sh", "-c", script]).stdout
