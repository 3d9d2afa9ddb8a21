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
import yaml

from hatool.artifacts.cache import artifacts_dir
from hatool.lab.plan import Lab
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
    #: the inventory deployed (default: the lab's own)
    inventory: Path = field(default=Path())

    def __post_init__(self) -> None:
        if self.inventory == Path():
            self.inventory = self.lab.inventory_path

    @property
    def groups(self) -> dict[str, dict[str, str]]:
        """Group -> {host: address}, as the deployed inventory says."""
        children = yaml.safe_load(self.inventory.read_text())["all"]["children"]
        return {
            group: {h: v["ansible_host"] for h, v in (body.get("hosts") or {}).items()}
            for group, body in children.items()
        }

    @property
    def etcd_members(self) -> dict[str, str]:
        groups = self.groups
        return groups.get("etcd") or groups["control_plane"]

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


def without_hosts(inventory: Path, group: str, *hosts: str, name: str) -> Path:
    """A copy of ``inventory`` (in the same folder, so the cluster's files are shared) without ``hosts``."""
    data = yaml.safe_load(inventory.read_text())
    for host in hosts:
        del data["all"]["children"][group]["hosts"][host]
    path = inventory.with_name(name)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


#: (topology, entrance). The external ansible-playbook lab has two spare etcd
#: hosts, left out of the first deploy, for the 3 -> 5 scaling test.
DEPLOYS = [
    ("stacked", "hatool deploy"),
    ("stacked", "ansible-playbook"),
    ("external", "hatool deploy"),
    ("external", "ansible-playbook"),
]
SPARE_ETCD = ("etcd-4", "etcd-5")


@pytest.fixture(scope="module", params=DEPLOYS, ids=[f"{t}-{e.split()[0]}" for t, e in DEPLOYS])
def deployed(request: pytest.FixtureRequest, lab_state: Path) -> Iterator[Deployment]:
    """A fresh lab (3 masters, 1 LB, 3 etcd hosts when external) deployed through one entrance."""
    topology, entrance = request.param
    name = f"t-{os.getpid()}-{topology[0]}{entrance[0]}"
    if topology == "stacked":
        deployment = Deployment(lab_up(name), entrance)
    elif entrance == "hatool deploy":
        deployment = Deployment(lab_up(name, "--topology", "external"), entrance)
    else:
        lab = lab_up(name, "--topology", "external", "--etcd", "5")
        three = without_hosts(lab.inventory_path, "etcd", *SPARE_ETCD, name="hosts-etcd3.yml")
        deployment = Deployment(lab, entrance, inventory=three)
    first = deployment.run()
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    yield deployment
    lab_down(name)
