"""Acting on a deployed lab from a test: deploy, run a playbook, kubectl, a shell on a host.

Shared by end-to-end modules that bring up their own lab; each tool here is
independent of hatool's own verify code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hatool.paths import PROJECT_ROOT
from tests.helpers.e2e import BIN, RECAP, ansible_env, host_outputs, kubectl, on_host

__all__ = ["changed_hosts", "deploy", "host_outputs", "kubectl", "on_host", "playbook"]


def deploy(inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``hatool deploy INVENTORY``."""
    return subprocess.run(
        [str(BIN / "hatool"), "deploy", str(inventory), *extra],
        capture_output=True, text=True, env=ansible_env(), cwd=PROJECT_ROOT, check=False,
    )  # fmt: skip


def playbook(inventory: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``ansible-playbook -i INVENTORY playbooks/NAME``."""
    argv = [str(BIN / "ansible-playbook"), "-i", str(inventory),
            str(PROJECT_ROOT / "playbooks" / name), *extra]  # fmt: skip
    return subprocess.run(
        argv, capture_output=True, text=True, env=ansible_env(), cwd=PROJECT_ROOT, check=False
    )


def changed_hosts(output: str) -> dict[str, int]:
    """Hosts of the PLAY RECAP with changes, and how many (the validation play's localhost aside)."""
    return {
        m.group(1): int(m.group(3))
        for m in RECAP.finditer(output)
        if m.group(1) != "localhost" and int(m.group(3))
    }
