"""Run Ansible's own commands with hatool's configuration, passing their exit code through."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hatool.errors import CommandFailed, HatoolError
from hatool.paths import PROJECT_ROOT


def ansible_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Ansible commands: hatool's ansible.cfg, roles and plugins."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(PROJECT_ROOT / "ansible.cfg"))
    env.setdefault("ANSIBLE_FORCE_COLOR", "1" if sys.stdout.isatty() else "0")
    if extra:
        env.update(extra)
    return env


def tool(name: str) -> str:
    """Path of an Ansible command, preferring the one beside this Python interpreter."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise HatoolError(f"{name} not found; install hatool with 'pip install -e .' first")
    return found


@dataclass(frozen=True)
class PlaybookOptions:
    """What an operator may pass on to ansible-playbook through a hatool command."""

    check: bool = False
    diff: bool = False
    limit: str | None = None
    tags: str | None = None
    extra_vars: Sequence[str] = ()
    verbosity: int = 0

    def flags(self) -> list[str]:
        flags = [name for name, on in (("--check", self.check), ("--diff", self.diff)) if on]
        for option, value in (("--limit", self.limit), ("--tags", self.tags)):
            if value:
                flags += [option, value]
        for assignment in self.extra_vars:
            flags += ["-e", assignment]
        return flags + (["-" + "v" * self.verbosity] if self.verbosity else [])


def playbook_argv(
    inventory: Path, playbook: Path, options: PlaybookOptions = PlaybookOptions()
) -> list[str]:
    """The ansible-playbook command line that hatool runs."""
    return [tool("ansible-playbook"), "-i", str(inventory), str(playbook), *options.flags()]


def run_playbook(argv: list[str], env: Mapping[str, str] | None = None) -> None:
    """Run ansible-playbook with its output going straight to the terminal.

    Raises :class:`CommandFailed` carrying ansible-playbook's own exit code.
    """
    print(f"+ {shlex.join(argv)}", file=sys.stderr, flush=True)
    completed = subprocess.run(argv, env=ansible_env(env), check=False)
    if completed.returncode != 0:
        raise CommandFailed(argv, completed.returncode)


def run_playbook_captured(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook with its output kept (a drill reports its own rows)."""
    return subprocess.run(
        argv, env=ansible_env({"ANSIBLE_FORCE_COLOR": "0"}), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
