"""Lab fixtures: real labs (containers with systemd and sshd), torn down after use.

Labs made here have names starting with ``t-`` and keep their state in a
temporary folder, so tests never touch an operator's own labs.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.cli import main
from hatool.lab.lab import Lab
from hatool.paths import PROJECT_ROOT


@pytest.fixture(scope="session", autouse=True)
def lab_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state = tmp_path_factory.mktemp("hatool-state")
    old = os.environ.get("HATOOL_STATE")
    os.environ["HATOOL_STATE"] = str(state)
    yield state
    if old is None:
        os.environ.pop("HATOOL_STATE", None)
    else:
        os.environ["HATOOL_STATE"] = old


def lab_up(name: str, *args: str) -> Lab:
    assert main(["lab", "up", "--name", name, *args]) == 0
    return Lab.load(name)


def lab_down(name: str) -> None:
    assert main(["lab", "down", "--name", name]) == 0


@pytest.fixture(scope="session")
def stacked_lab(lab_state: Path) -> Iterator[Lab]:
    """The default shape: 3 masters and 1 load balancer."""
    name = f"t-{os.getpid()}-s"
    lab = lab_up(name)
    yield lab
    lab_down(name)


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
