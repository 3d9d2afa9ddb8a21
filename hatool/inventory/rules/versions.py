"""Rules on versions and where the binaries come from."""

from __future__ import annotations

from urllib.parse import urlparse

from hatool.inventory.findings import ERROR, Findings, declare
from hatool.inventory.model import Model
from hatool.versions import (
    ARTIFACT_SOURCES,
    OFFLINE_KUBE_VERSION,
    SUPPORTED,
    etcd_minor_of,
    minor_of,
    parse,
    release_for,
)


@declare(
    ("kube-version-invalid", ERROR, "`kube_version` is well formed (vX.Y.Z)"),
    ("kube-version-unsupported", ERROR, "`kube_version` is a line the roles support"),
    ("etcd-version-invalid", ERROR, "`etcd_version` is well formed"),
    (
        "etcd-version-unsupported",
        ERROR,
        "`etcd_version` is an etcd minor line that runs with `kube_version` (v1.20: 3.4 or 3.5)",
    ),
    ("artifact-source-invalid", ERROR, "`artifact_source` is official or mirror"),
    ("artifact-mirror-url", ERROR, "with mirror, `artifact_mirror_url` is an http(s) URL"),
    ("artifact-source-version", ERROR, "the artifact source can provide `kube_version`"),
)
def versions(model: Model, out: Findings) -> None:
    version = str(model.value("kube_version"))
    supported = ", ".join(f"{m}.x" for m in SUPPORTED)
    if parse(version) is None:
        message = f"kube_version {version!r} is not a release such as v1.31.4 (vMAJOR.MINOR.PATCH)"
        out.add("kube-version-invalid", ERROR, message, variable="kube_version")
        return
    release = release_for(version)
    if release is None:
        message = f"kube_version {version}: the roles support {supported}, not {minor_of(version)}"
        out.add("kube-version-unsupported", ERROR, message, variable="kube_version")
        return
    etcd = model.value("etcd_version")
    if etcd is not None and parse(str(etcd)) is None:
        message = f"etcd_version {etcd!r} is not a release such as {release.etcd_version}"
        out.add("etcd-version-invalid", ERROR, message, variable="etcd_version")
    elif etcd is not None and etcd_minor_of(str(etcd)) not in release.etcd_minors:
        lines = " or ".join(release.etcd_minors)
        message = (
            f"etcd_version {etcd}: Kubernetes {release.minor} runs with etcd {lines}, "
            f"not {etcd_minor_of(str(etcd))}; use for example {release.etcd_version}"
        )
        out.add("etcd-version-unsupported", ERROR, message, variable="etcd_version")
    source = model.value("artifact_source")
    if source not in ARTIFACT_SOURCES:
        message = f"artifact_source is {source!r}; use {' or '.join(ARTIFACT_SOURCES)}"
        out.add("artifact-source-invalid", ERROR, message, variable="artifact_source")
        return
    if source == "mirror":
        _mirror(model, out, version)


def _mirror(model: Model, out: Findings, version: str) -> None:
    url = model.value("artifact_mirror_url")
    parsed = urlparse(str(url)) if url else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        out.add(
            "artifact-mirror-url",
            ERROR,
            f"artifact_source is mirror, so artifact_mirror_url must be an http(s) URL; it is "
            f"{url!r}",
            variable="artifact_mirror_url",
        )
    extra = model.value("artifact_mirror_versions") or []
    available = [OFFLINE_KUBE_VERSION, *(str(v) for v in extra)]
    if version not in available:
        out.add(
            "artifact-source-version",
            ERROR,
            f"kube_version {version} is not available from artifact_source mirror, which holds "
            f"{', '.join(available)} (the offline build, plus artifact_mirror_versions); use "
            f"kube_version {OFFLINE_KUBE_VERSION}, artifact_source official, or fill the mirror "
            f"with 'hatool artifacts --source official --kube-version {version}' and list it in "
            "artifact_mirror_versions",
            variable="kube_version",
        )
