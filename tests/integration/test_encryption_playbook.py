"""The encryption-at-rest action plugins through ``ansible-playbook``, on the controller only.

The same plugins as the deploy and the rotation playbook: keys made once,
private files, check mode that writes nothing, and output that names keys
but never shows one. No host is contacted (every task runs on localhost).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from hatool.paths import PROJECT_ROOT
from tests.helpers.cases import inventory_of
from tests.helpers.leaks import leaked

PLAYBOOK = PROJECT_ROOT / "tests" / "playbooks" / "encryption_steps.yml"
RECAP = re.compile(r"^master-1\s+:\s+ok=\d+\s+changed=(\d+)", re.M)


def run(inventory: Path, *extra: str) -> tuple[str, int]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    beside = PROJECT_ROOT / ".venv" / "bin" / "ansible-playbook"
    argv = [str(beside) if beside.exists() else "ansible-playbook", "-i", str(inventory),
            str(PLAYBOOK), *extra]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    changed = RECAP.search(output)
    assert changed is not None, output[-2000:]
    return output, int(changed.group(1))


def test_keys_are_made_once_rotated_step_by_step_and_never_shown(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    shutil.copy(inventory_of("valid"), inventory)
    folder = tmp_path / ".hatool" / "hatool"

    checked, changed = run(inventory, "--check")
    assert changed == 2  # certificates and keys would be made
    assert not folder.exists()

    first, changed = run(inventory)
    assert changed == 2
    keyring = json.loads((folder / "encryption" / "keyring.json").read_text())
    (key,) = keyring["keys"]
    assert keyring["write"] == keyring["rewritten"] == key["name"]
    assert key["name"] in first  # names are shown ...
    for path in [folder, folder / "encryption", *(folder / "encryption").iterdir()]:
        assert path.stat().st_mode & 0o077 == 0, path  # ... files are private
    assert (folder / "super-admin.conf").stat().st_mode & 0o777 == 0o600

    again, changed = run(inventory)
    assert changed == 0

    rotated, changed = run(inventory, "-e", '{"steps": ["add", "add", "promote", "promote"]}')
    assert changed == 1  # one task (the loop): add and promote changed, their repeats did not
    keyring = json.loads((folder / "encryption" / "keyring.json").read_text())
    assert keyring["keys"][0]["name"] == key["name"]
    assert len(keyring["keys"]) == 2
    assert keyring["write"] == keyring["keys"][1]["name"]
    assert keyring["rewritten"] == key["name"]  # the rewrite needs the API: not taken here

    for output in (checked, first, again, rotated):
        assert leaked(folder, output) == []
        assert key["secret"] not in output
        assert "secret:" not in output


def test_a_cluster_that_runs_without_encryption_first_gets_a_read_key(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    shutil.copy(inventory_of("valid"), inventory)
    output, _ = run(inventory, "-e", "running=true")  # a string, as -e gives it
    keyring = json.loads(
        (tmp_path / ".hatool" / "hatool" / "encryption" / "keyring.json").read_text()
    )
    assert keyring["write"] == keyring["rewritten"] == "identity"
    config = (tmp_path / ".hatool" / "hatool" / "encryption" / "encryption-config.yaml").read_text()
    assert config.index("- identity: {}") < config.index("- aescbc:")
    assert "secret:" not in output
