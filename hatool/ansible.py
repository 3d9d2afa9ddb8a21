"""Run Ansible's own commands with hatool's configuration, passing their exit code through."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
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


def playbook_argv(
    inventory: Path,
    playbook: Path,
    *,
    check: bool = False,
    diff: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    extra_vars: Sequence[str] = (),
    verbosity: int = 0,
) -> list[str]:
    """The ansible-playbook command line that hatool runs."""
    argv = [tool("ansible-playbook"), "-i", str(inventory), str(playbook)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    if limit:
        argv += ["--limit", limit]
    if tags:
        argv += ["--tags", tags]
    for assignment in extra_vars:
        argv += ["-e", assignment]
    if verbosity:
        argv.append("-" + "v" * verbosity)
    return argv


def run_playbook(argv: list[str], env: Mapping[str, str] | None = None) -> None:
    """Run ansible-playbook with its output going straight to the terminal.

    Raises :class:`CommandFailed` carrying ansible-playbook's own exit code.
    """
    print(f"+ {shlex.join(argv)}", file=sys.stderr, flush=True)
    completed = subprocess.run(argv, env=ansible_env(env), check=False)
    if completed.returncode != 0:
        raise CommandFailed(argv, completed.returncode)
