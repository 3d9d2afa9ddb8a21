"""Where hatool keeps its files: the project tree, caches and per-lab state."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout (or installed tree) that holds playbooks/, roles/ and inventory/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Artifacts and the lab image recipe stamp: ``$HATOOL_CACHE`` or ``~/.cache/hatool``."""
    env = os.environ.get("HATOOL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hatool"


def state_dir() -> Path:
    """Lab state (keys, inventories): ``$HATOOL_STATE`` or ``~/.local/state/hatool``."""
    env = os.environ.get("HATOOL_STATE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hatool"


def playbook(name: str) -> Path:
    """Path of a playbook shipped with hatool, for example ``site.yml``."""
    return PROJECT_ROOT / "playbooks" / name
