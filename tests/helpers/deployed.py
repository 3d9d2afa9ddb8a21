"""Acting on a deployed lab from a test: deploy, run a playbook, kubectl, a shell on a host.

Shared by end-to-end modules that bring up their own lab; each tool here is
independent of hatool's own verify code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hatool.artifacts.cache import artifacts_dir
from hatool.paths import PROJECT_ROOT
from hatool.versions import OFFLINE_KUBE_VERSION
from tests.helpers import ansible

BIN = Path(sys.executable).parent
RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


def _env() -> dict[str, str]:
    return dict(
        os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0"
    )


def deploy(inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``hatool deploy INVENTORY``."""
    return subprocess.run(
        [str(BIN / "hatool"), "deploy", str(inventory), *extra],
        capture_output=True, text=True, env=_env(), cwd=PROJECT_ROOT, check=False,
    )  # fmt: skip


def playbook(inventory: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``ansible-playbook -i INVENTORY playbooks/NAME``."""
    argv = [str(BIN / "ansible-playbook"), "-i", str(inventory),
            str(PROJECT_ROOT / "playbooks" / name), *extra]  # fmt: skip
    return subprocess.run(
        argv, capture_output=True, text=True, env=_env(), cwd=PROJECT_ROOT, check=False
    )


def changed_hosts(output: str) -> dict[str, int]:
    """Hosts of the PLAY RECAP with changes, and how many (the validation play's localhost aside)."""
    return {
        m.group(1): int(m.group(3))
        for m in RECAP.finditer(output)
        if m.group(1) != "localhost" and int(m.group(3))
    }


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = artifacts_dir() / "bin" / OFFLINE_KUBE_VERSION / "kubectl"
    return subprocess.run(
        [str(binary), f"--kubeconfig={kubeconfig}", "--request-timeout=10s", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def on_host(inventory: Path, host: str, command: str) -> subprocess.CompletedProcess[str]:
    """A shell command as root on one lab host, through Ansible."""
    return ansible(inventory, host, "-b", "-m", "ansible.builtin.shell", "-a", command)


def host_outputs(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each host's stdout in ``ansible HOSTS -m shell`` output (``host | CHANGED | rc=0 >>``)."""
    parts = re.split(r"^(\S+) \| \w+ \| rc=\d+ >>\n", done.stdout, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
