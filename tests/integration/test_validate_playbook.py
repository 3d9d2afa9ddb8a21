"""The same rules through ``ansible-playbook``: the first play fails before any host is contacted.

Every host of the test inventories is on a loopback address; the tests run
a TCP listener of their own on ``ansible_port`` and count the connections it
accepts. A valid inventory is the positive control: there the next play does
reach the hosts, and the listener sees it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.inventory.load import load
from hatool.inventory.rules import check
from hatool.paths import PROJECT_ROOT
from tests.helpers.cases import CASES, INVENTORIES, inventory_of
from tests.helpers.listener import Listener

PLAYBOOK = PROJECT_ROOT / "tests" / "playbooks" / "validate_then_ping.yml"


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
