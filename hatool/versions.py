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
    etcd_minor: str  # "3.5": the flag set the etcd templates render


#: Minor lines the roles render flags for. v1.20 is what the lab and CI build
#: offline; the others are current releases for operators.
SUPPORTED: dict[str, Release] = {
    "v1.20": Release("v1.20", "v3.4.23", "3.4"),
    "v1.30": Release("v1.30", "v3.5.16", "3.5"),
    "v1.31": Release("v1.31", "v3.5.16", "3.5"),
    "v1.35": Release("v1.35", "v3.6.5", "3.6"),
}

#: The default for operators: the newest supported line.
DEFAULT_KUBE_VERSION = "v1.35.0"

#: What the offline source (Debian's source package, built with Go 1.15) provides.
OFFLINE_KUBE_VERSION = "v1.20.2"
OFFLINE_ETCD_VERSION = "v3.4.23"

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
