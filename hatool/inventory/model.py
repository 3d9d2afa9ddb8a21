"""A plain model of an Ansible inventory: groups, hosts and each host's variables.

Both entrances build the same model: ``hatool validate`` from Ansible's
``InventoryManager`` (see :mod:`hatool.inventory.load`), the playbook's first
play from the ``groups`` and ``hostvars`` it is given (see the
``hatool_validate_inventory`` action plugin). The rules only see this model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hatool.inventory.contract import GROUPS, IMPLICIT_GROUPS, variables

#: Variables Ansible puts beside the inventory's own: never checked.
MAGIC = frozenset(
    {
        "group_names", "groups", "hostvars", "inventory_dir", "inventory_file",
        "inventory_hostname", "inventory_hostname_short", "playbook_dir", "omit",
        "play_hosts", "role_names", "environment", "vars",
    }
)  # fmt: skip


@dataclass
class Model:
    """What the rules check."""

    source: str
    groups: dict[str, list[str]]
    hostvars: dict[str, dict[str, Any]]
    #: files that make up the inventory, searched to say where a variable is set
    files: list[Path] = field(default_factory=list)

    def hosts_of(self, group: str) -> list[str]:
        return self.groups.get(group, [])

    def hatool_hosts(self) -> list[str]:
        """Hosts in hatool's groups, in inventory order, each once."""
        seen: dict[str, None] = {}
        for group in GROUPS:
            for host in self.hosts_of(group):
                seen.setdefault(host, None)
        return list(seen)

    def value(self, name: str, host: str | None = None) -> Any:
        """A variable's value on ``host`` (or the cluster's), else the contract's default."""
        hosts = [host] if host else self.hatool_hosts()
        for candidate in hosts:
            own = self.hostvars.get(candidate, {})
            if name in own:
                return own[name]
        known = variables()
        return known[name].default if name in known else None

    def is_set(self, name: str) -> bool:
        return any(name in self.hostvars.get(h, {}) for h in self.hatool_hosts())

    def group_of(self, host: str) -> str | None:
        for group in GROUPS:
            if host in self.hosts_of(group):
                return group
        return None

    def where(self, variable: str | None = None, host: str | None = None) -> str:
        """The file that sets ``variable`` (for ``host``), or the inventory itself."""
        if variable is None or not self.files:
            return self.source
        pattern = re.compile(
            rf"^\s*{re.escape(variable)}\s*[:=]|[\s{{,]{re.escape(variable)}\s*[:=]"
        )
        preferred = [f for f in self.files if host and f.stem == host]
        for path in preferred + [f for f in self.files if f not in preferred]:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if any(pattern.search(line) for line in text.splitlines()):
                return display_path(path)
        return self.source


def display_path(path: Path) -> str:
    """A path as the operator would type it: relative to the working directory if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def from_hostvars(
    source: str,
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    files: list[Path] | None = None,
) -> Model:
    """Build the model from Ansible's ``groups`` and per-host variables."""
    model_groups = {
        name: list(members) for name, members in groups.items() if name not in IMPLICIT_GROUPS
    }
    model_groups["all"] = list(groups.get("all", []))
    per_host = {
        host: {k: v for k, v in hostvars[host].items() if k not in MAGIC}
        for host in model_groups["all"]
        if host in hostvars
    }
    return Model(source, model_groups, per_host, files or [])
