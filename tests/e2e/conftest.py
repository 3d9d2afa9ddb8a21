"""End-to-end fixtures: a fresh lab, a real deployment onto it, and the output it printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hatool.artifacts.cache import artifacts_dir
from hatool.lab.lab import Lab
from hatool.paths import PROJECT_ROOT
from hatool.versions import OFFLINE_KUBE_VERSION
from tests.helpers import ansible, lab_down, lab_up

BIN = Path(sys.executable).parent
RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


@dataclass
class Deployment:
    """A lab, how it was deployed, and everything the deployment printed."""

    lab: Lab
    entrance: str  # "hatool deploy" or "ansible-playbook"
    outputs: list[str] = field(default_factory=list)

    @property
    def inventory(self) -> Path:
        return self.lab.inventory_path

    @property
    def cluster_dir(self) -> Path:
        return self.inventory.parent / ".hatool" / "hatool"

    @property
    def kubeconfig(self) -> Path:
        return self.cluster_dir / "admin.conf"

    def argv(self, *extra: str) -> list[str]:
        if self.entrance == "hatool deploy":
            return [str(BIN / "hatool"), "deploy", str(self.inventory), *extra]
        playbook = str(PROJECT_ROOT / "playbooks" / "site.yml")
        return [str(BIN / "ansible-playbook"), "-i", str(self.inventory), playbook, *extra]

    def run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Deploy (again); the output is kept for the no-secrets check."""
        env = dict(
            os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0"
        )
        done = subprocess.run(
            self.argv(*extra),
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            check=False,
        )
        self.outputs.append(done.stdout + done.stderr)
        return done


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host."""
    return {
        m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                     "unreachable": int(m.group(4)), "failed": int(m.group(5))}
        for m in RECAP.finditer(output)
    }  # fmt: skip


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = artifacts_dir() / "bin" / OFFLINE_KUBE_VERSION / "kubectl"
    return subprocess.run(
        [str(binary), f"--kubeconfig={kubeconfig}", "--request-timeout=10s", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def on_host(inventory: Path, host: str, command: str) -> subprocess.CompletedProcess[str]:
    """A shell command on one lab host through Ansible (independent of hatool's own SSH code)."""
    return ansible(inventory, host, "-b", "-m", "ansible.builtin.shell", "-a", command)


def host_outputs(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each host's stdout in ``ansible HOSTS -m shell`` output (``host | CHANGED | rc=0 >>``)."""
    parts = re.split(r"^(\S+) \| \w+ \| rc=\d+ >>\n", done.stdout, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def etcdctl_on(
    inventory: Path, host: str, endpoints: str, *args: str
) -> subprocess.CompletedProcess[str]:
    command = (
        f"ETCDCTL_API=3 /usr/local/bin/etcdctl --endpoints={endpoints} "
        "--cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/healthcheck-client.crt "
        f"--key=/etc/etcd/pki/healthcheck-client.key {' '.join(args)}"
    )
    return on_host(inventory, host, command)


@pytest.fixture(scope="module", params=["hatool deploy", "ansible-playbook"])
def deployed(request: pytest.FixtureRequest, lab_state: Path) -> Iterator[Deployment]:
    """A fresh 3-master, 1-LB lab, deployed once through one of the two entrances."""
    short = "h" if request.param == "hatool deploy" else "a"
    name = f"t-{os.getpid()}-e{short}"
    deployment = Deployment(lab_up(name), request.param)
    first = deployment.run()
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    yield deployment
    lab_down(name)
