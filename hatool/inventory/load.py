"""Load an inventory exactly as ``ansible-playbook -i`` reads it, into a :class:`Model`.

YAML and INI files, and folders of them with ``group_vars``/``host_vars``,
all go through Ansible's own ``InventoryManager``. A missing path, a syntax
error and an empty inventory each become one line (exit code 2).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from ansible import constants
from ansible.errors import AnsibleError
from ansible.inventory import manager as ansible_manager
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from hatool.errors import EXIT_BAD_INPUT, HatoolError
from hatool.inventory.model import Model, display_path, from_hostvars
from hatool.inventory.yamlfile import safe_load

YAML_SUFFIXES = (".yml", ".yaml", ".json")
_IGNORED_NAMES = re.compile(r"^\.|^host_vars$|^group_vars$|^vars_plugins$")
_IGNORED_SUFFIXES = ("~", ".orig", ".bak", ".ini.bak", ".retry", ".pyc", ".pyo", ".md", ".cfg")


def _inventory_files(path: Path) -> list[Path]:
    """The files Ansible reads as inventory sources below ``path``."""
    if path.is_file():
        return [path]
    files: list[Path] = []
    for child in sorted(path.iterdir()):
        if _IGNORED_NAMES.search(child.name) or child.name.endswith(_IGNORED_SUFFIXES):
            continue
        files += _inventory_files(child) if child.is_dir() else [child]
    return files


def inventory_files(path: Path) -> list[Path]:
    """The inventory's own files and its ``group_vars``/``host_vars`` files."""
    return _inventory_files(path) + _vars_files(path)


def _vars_files(path: Path) -> list[Path]:
    base = path if path.is_dir() else path.parent
    found: list[Path] = []
    for folder in ("host_vars", "group_vars"):
        root = base / folder
        if root.is_dir():
            found += sorted(
                p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
    return found


def _check_yaml(path: Path) -> None:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or str(exc)
        raise HatoolError(
            f"{display_path(path)}{line}: YAML syntax error: {problem}", EXIT_BAD_INPUT
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise HatoolError(
            f"{display_path(path)}: cannot read as YAML: {exc}", EXIT_BAD_INPUT
        ) from None
    if data is not None and not isinstance(data, dict):
        raise HatoolError(
            f"{display_path(path)}: an inventory or vars file must be a YAML mapping, "
            f"not a {type(data).__name__}",
            EXIT_BAD_INPUT,
        )


def _line_of(path: Path, message: str) -> str:
    """Best effort: the line of ``path`` that Ansible's INI message quotes."""
    quoted = re.findall(r"got: (.+)$|'([^']+)'", message)
    needles = [a or b for a, b in quoted]
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for needle in needles:
        for number, line in enumerate(lines, start=1):
            if needle.strip() and needle.strip() in line:
                return f":{number}"
    return ""


class _Capture:
    """Stands in for Ansible's display while parsing, to keep its parse failures."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.failures: list[tuple[str, str]] = []

    def error_as_warning(self, msg: str, exception: BaseException, **_: Any) -> None:
        self.failures.append((msg, str(exception)))

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.failures.append((msg, ""))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@contextlib.contextmanager
def _strict_parsing() -> Iterator[_Capture]:
    real_display = ansible_manager.display
    real_flag = constants.INVENTORY_ANY_UNPARSED_IS_FAILED
    capture = _Capture(real_display)
    ansible_manager.display = capture
    constants.INVENTORY_ANY_UNPARSED_IS_FAILED = True
    try:
        yield capture
    finally:
        ansible_manager.display = real_display
        constants.INVENTORY_ANY_UNPARSED_IS_FAILED = real_flag


def load(path_text: str) -> Model:
    """Read the inventory at ``path_text`` (a file or a folder) into a :class:`Model`."""
    path = Path(path_text)
    shown = display_path(path)
    if not path.exists():
        raise HatoolError(f"{shown}: no such inventory file or folder", EXIT_BAD_INPUT)
    files = _inventory_files(path)
    if not files:
        raise HatoolError(f"{shown}: the inventory folder holds no inventory file", EXIT_BAD_INPUT)
    for file in files + _vars_files(path):
        if (
            file.suffix in YAML_SUFFIXES
            or file.parent.name.endswith("_vars")
            or (file.parent.parent.name.endswith("_vars"))
        ):
            _check_yaml(file)

    loader = DataLoader()
    with _strict_parsing() as capture:
        try:
            inventory = InventoryManager(loader=loader, sources=[str(path)])
        except AnsibleError:
            failed = [f for f in files if f.suffix not in YAML_SUFFIXES] or files
            details = [m for _, m in capture.failures if m and "ini" not in _]
            ini = [m for msg, m in capture.failures if "'ini'" in msg]
            reason = (ini or details or ["not a YAML or INI inventory"])[0]
            reason = reason.removeprefix("Failed to parse inventory: ")
            target = failed[0]
            raise HatoolError(
                f"{display_path(target)}{_line_of(target, reason)}: "
                f"cannot parse as an Ansible inventory: {reason}",
                EXIT_BAD_INPUT,
            ) from None
    hosts = inventory.get_hosts()
    if not hosts:
        raise HatoolError(f"{shown}: the inventory has no hosts", EXIT_BAD_INPUT)
    manager = VariableManager(loader=loader, inventory=inventory)
    hostvars = {h.name: manager.get_vars(host=h, include_hostvars=False) for h in hosts}
    groups = {name: [h.name for h in group.get_hosts()] for name, group in inventory.groups.items()}
    groups["all"] = [h.name for h in hosts]
    return from_hostvars(shown, groups, hostvars, inventory_files(path))


def _host_variables(hostvars: Any, host: str) -> dict[str, Any]:
    """A host's variables, templated where they template, raw where they do not."""
    raw = hostvars.raw_get(host)
    templated = hostvars[host]
    values: dict[str, Any] = {}
    for name in raw:
        try:
            values[name] = templated[name]
        except Exception:  # an undefined reference: check the raw text
            values[name] = raw[name]
    return values


def from_task_vars(task_vars: dict[str, Any]) -> tuple[Model, str | None]:
    """The model of the inventory a running playbook uses, and that inventory's path.

    For action plugins: the same :class:`Model` that ``hatool validate``
    builds, from the ``groups`` and ``hostvars`` Ansible hands to a task.
    """
    groups = task_vars["groups"]
    hostvars = task_vars["hostvars"]
    sources = [s for s in task_vars.get("ansible_inventory_sources") or [] if Path(s).exists()]
    source = sources[0] if sources else None
    files = inventory_files(Path(source)) if source else []
    variables = {host: _host_variables(hostvars, host) for host in groups.get("all", [])}
    shown = display_path(Path(source)) if source else "the inventory"
    return from_hostvars(shown, groups, variables, files), source
