"""The controller's half of a no-change re-run: digests of a role's inputs.

A role's output on a host depends on the cluster (the ``hatool`` fact), the
role's own variables, hatool's roles and plugins, and the files it copies from
the controller. :func:`inputs_digests` reduces each to a sha256;
:mod:`hatool.hoststate` records them with the host's snapshot and names the
ones that changed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from hatool.inventory.yamlfile import safe_load
from hatool.paths import PROJECT_ROOT

#: Besides a role's own folder, the code every role's output depends on.
SHARED_CODE = ("roles/common", "plugins", "hatool")


def _digest_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _digest_tree(root: Path) -> hashlib._Hash:
    digest = hashlib.sha256()
    if not root.exists():
        digest.update(b"absent")
        return digest
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest


@cache
def code_digest(role: str) -> str:
    """The role's folder, the common role, the plugins and the hatool package."""
    digest = hashlib.sha256()
    for folder in (f"roles/{role}", *SHARED_CODE):
        digest.update(folder.encode() + b"\0" + _digest_tree(PROJECT_ROOT / folder).digest())
    return digest.hexdigest()


def files_digest(folders: list[str]) -> str:
    """Every file below the controller folders a role copies from (certificates, keys...)."""
    digest = hashlib.sha256()
    for folder in folders:
        digest.update(folder.encode() + b"\0" + _digest_tree(Path(folder)).digest())
    return digest.hexdigest()


@cache
def role_variables(role: str) -> tuple[str, ...]:
    """The public variables of a role and of the common role (their defaults' names)."""
    names: list[str] = []
    for owner in (role, "common"):
        defaults = PROJECT_ROOT / "roles" / owner / "defaults" / "main.yml"
        if defaults.is_file():
            names.extend(sorted(safe_load(defaults.read_text()) or {}))
    return tuple(names)


def inputs_digests(
    role: str, cluster: Any, variables: dict[str, Any], folders: list[str]
) -> dict[str, str]:
    """The digests :func:`hatool.hoststate.differences` compares, by input."""
    return {
        "cluster": _digest_json(cluster),
        "variables": _digest_json(variables),
        "code": code_digest(role),
        "files": files_digest(folders),
    }
