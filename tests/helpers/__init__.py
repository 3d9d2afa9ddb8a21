"""Helpers for tests that use real labs: bring one up or down, reach its hosts.

Labs made by tests have names starting with ``t-`` and keep their state in a
temporary folder (the ``lab_state`` fixture), so tests never touch an
operator's own labs.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from hatool.cli import main
from hatool.lab.plan import Lab
from hatool.paths import PROJECT_ROOT


def lab_up(name: str, *args: str) -> Lab:
    assert main(["lab", "up", "--name", name, *args]) == 0
    return Lab.load(name)


def lab_down(name: str) -> None:
    assert main(["lab", "down", "--name", name]) == 0


def ansible(inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"))
    argv = [str(PROJECT_ROOT / ".venv" / "bin" / "ansible"), "-i", str(inventory), *args]
    if not Path(argv[0]).exists():
        argv[0] = "ansible"
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)


def ssh_answers(address: str, timeout: float = 2.0) -> bool:
    """True when the host's sshd sends its banner within ``timeout`` seconds."""
    try:
        with socket.create_connection((address, 22), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(4).startswith(b"SSH-")
    except OSError:
        return False
