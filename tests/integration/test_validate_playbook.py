"""The same rules through ``ansible-playbook``: the first play fails before any host is contacted.

Every host of the test inventories is on a loopback address; the tests run
a TCP listener of their own on ``ansible_port`` and count the connections it
accepts. A valid inventory is the positive control: there the next play does
reach the hosts, and the listener sees it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.inventory.load import load
from hatool.inventory.rules import check
from hatool.paths import PROJECT_ROOT
from tests.helpers.cases import CASES, INVENTORIES, inventory_of

PLAYBOOK = PROJECT_ROOT / "tests" / "playbooks" / "validate_then_ping.yml"


class Listener:
    """Accepts and counts TCP connections on every loopback address."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))  # noqa: S104 - reached only through 127.x addresses
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def run_playbook(inventory: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_TIMEOUT="3",
        ANSIBLE_NOCOLOR="1",
    )
    playbook_bin = PROJECT_ROOT / ".venv" / "bin" / "ansible-playbook"
    argv = [
        str(playbook_bin) if playbook_bin.exists() else "ansible-playbook",
        "-i", str(inventory), str(PLAYBOOK),
        "-e", f"ansible_port={port}", "-e", "ansible_user=nobody",
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=120)


ERROR_CASES = sorted(case for case, (_, severity, _) in CASES.items() if severity == "error")


@pytest.mark.parametrize("case", ERROR_CASES)
def test_the_play_fails_with_the_rule_message_and_contacts_no_host(
    case: str, listener: Listener
) -> None:
    inventory = inventory_of(case)
    done = run_playbook(inventory, listener.port)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert listener.accepted == 0, f"{listener.accepted} connection(s) to hosts: {output}"
    assert "PLAY [Reach every host]" not in output
    expected = [f.line() for f in check(load(str(inventory)), str(inventory.parent))]
    for line in expected:
        if line.startswith("error "):
            # the same words as hatool validate, with the absolute file name Ansible gives
            assert (
                line.replace("tests/inventories/", str(INVENTORIES) + "/") in output
                or line in output
            ), f"{line!r} not in:\n{output}"


def test_a_valid_inventory_passes_the_validation_play_and_hosts_are_reached(
    listener: Listener,
) -> None:
    done = run_playbook(inventory_of("valid"), listener.port)
    output = done.stdout + done.stderr
    assert "TASK [Check the inventory against hatool's rules]" in output
    assert "ok: [master-1]" in output
    assert "PLAY [Reach every host]" in output
    assert listener.accepted >= 5, output  # the positive control: contacts are counted


def test_warnings_are_shown_and_do_not_stop_the_play(listener: Listener) -> None:
    done = run_playbook(inventory_of("loadbalancer-single"), listener.port)
    output = done.stdout + done.stderr
    assert "[WARNING]: warning [loadbalancer-single] loadbalancer: lb-1 is the only" in output
    assert "PLAY [Reach every host]" in output
