"""Kubernetes and etcd versions that hatool's roles support, and where each comes from.

One source of truth: inventory validation, ``hatool artifacts`` and the
flag-rendering tests all read this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)$")


@dataclass(frozen=True)
class Release:
    """A supported Kubernetes minor line and the etcd release that goes with it."""

    minor: str  # "v1.31"
    etcd_version: str  # "v3.5.16": the etcd release the roles install by default
    etcd_minor: str  # "3.5": the flag set the etcd templates render by default
    #: etcd minor lines this Kubernetes line runs with (``etcd_version`` may name any of them)
    etcd_minors: tuple[str, ...] = ()


#: Minor lines the roles render flags for. v1.20 is what the lab and CI build
#: offline; the others are current releases for operators.
#: Kubernetes 1.20 talks to etcd with the v3 API only, so etcd 3.5 serves it too: the
#: lab upgrades a v1.20 cluster's etcd from 3.4.23 to 3.5.16 on real binaries.
SUPPORTED: dict[str, Release] = {
    "v1.20": Release("v1.20", "v3.4.23", "3.4", ("3.4", "3.5")),
    "v1.30": Release("v1.30", "v3.5.16", "3.5", ("3.5",)),
    "v1.31": Release("v1.31", "v3.5.16", "3.5", ("3.5",)),
    "v1.35": Release("v1.35", "v3.6.5", "3.6", ("3.5", "3.6")),
}

#: The default for operators: the newest supported line.
DEFAULT_KUBE_VERSION = "v1.35.0"

#: What the offline source (Debian's source package, built with Go 1.15) provides.
OFFLINE_KUBE_VERSION = "v1.20.2"
OFFLINE_ETCD_VERSION = "v3.4.23"
#: Every etcd release the offline source provides: Debian 12's, and Debian 13's for upgrades.
OFFLINE_ETCD_VERSIONS = ("v3.4.23", "v3.5.16")

ARTIFACT_SOURCES = ("official", "mirror")


def parse(version: str) -> tuple[int, int, int] | None:
    """``"v1.20.2"`` as ``(1, 20, 2)``; ``None`` if it is not of that form."""
    match = _VERSION.match(version)
    if match is None:
        return None
    return int(match["major"]), int(match["minor"]), int(match["patch"])


def minor_of(version: str) -> str | None:
    """``"v1.20.2"`` -> ``"v1.20"``; ``None`` if the version does not parse."""
    parsed = parse(version)
    return None if parsed is None else f"v{parsed[0]}.{parsed[1]}"


def release_for(version: str) -> Release | None:
    """The supported release line of ``version``, or ``None``."""
    minor = minor_of(version)
    return None if minor is None else SUPPORTED.get(minor)


def etcd_minor_of(version: str) -> str | None:
    """``"v3.5.16"`` (or ``"3.5.16"``, as ``etcd --version`` prints it) -> ``"3.5"``."""
    parsed = parse(version if version.startswith("v") else f"v{version}")
    return None if parsed is None else f"{parsed[0]}.{parsed[1]}"


def etcd_binaries(version: str) -> tuple[str, ...]:
    """The binaries of an etcd release: etcdutl too from 3.5 on (offline work on snapshot files)."""
    minor = etcd_minor_of(version)
    newer = minor is not None and tuple(int(p) for p in minor.split(".")) >= (3, 5)
    return ("etcd", "etcdctl", "etcdutl") if newer else ("etcd", "etcdctl")


def etcd_upgrade_problem(running: str, wanted: str) -> str | None:
    """Why etcd cannot go from ``running`` to ``wanted`` in place, or ``None`` if it can.

    etcd upgrades one minor at a time (3.4 -> 3.5 -> 3.6), every member first
    on the newer minor before the next: a member of 3.6 does not join a cluster
    whose version is 3.4. It does not go back a minor in place either (the
    cluster version, once raised, stays). Patch releases of one minor may be
    swapped either way.
    """
    have = parse(running if running.startswith("v") else f"v{running}")
    want = parse(wanted)
    if have is None or want is None:
        return f"cannot compare etcd versions {running!r} and {wanted!r}"
    if have[:2] == want[:2]:
        return None
    shown = f"etcd {have[0]}.{have[1]}.{have[2]} -> {wanted}"
    if want[:2] < have[:2]:
        return (
            f"{shown} goes back a minor version: etcd cannot be downgraded in place; "
            "restore a snapshot taken before the upgrade instead (playbooks/etcd-restore.yml)"
        )
    if want[0] != have[0] or want[1] != have[1] + 1:
        step = f"v{have[0]}.{have[1] + 1}"
        return (
            f"{shown} skips a minor version: etcd upgrades one minor at a time; "
            f"upgrade to the newest {step}.x first, then to {wanted}"
        )
    return None
