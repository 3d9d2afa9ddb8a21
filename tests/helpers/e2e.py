"""End-to-end helpers: a lab deployed through one entrance, and independent ways to look at it.

The checks use tools other than hatool's own verify code where they can
(kubectl, etcdctl on a member through Ansible), so that verify is checked too.
The cluster's facts (members, ports, certificate folders) come from the same
cluster model the deploy used.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hatool.artifacts.cache import artifacts_dir
from hatool.cli import main
from hatool.cluster.model import Cluster
from hatool.inventory.validate import valid_cluster
from hatool.lab.plan import Lab
from hatool.paths import PROJECT_ROOT
from hatool.versions import OFFLINE_KUBE_VERSION
from tests.helpers import ansible

BIN = Path(sys.executable).parent
RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)
#: where ``hatool deploy`` says it kept Ansible's output
DEPLOY_LOG = re.compile(r"^Ansible's output: (\S+\.log)$", re.M)
HATOOL_DEPLOY = "hatool deploy"
ANSIBLE_PLAYBOOK = "ansible-playbook"


def ansible_env() -> dict[str, str]:
    return dict(
        os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0"
    )


@dataclass
class Deployment:
    """A lab, how it is deployed, and everything the deployments printed."""

    lab: Lab
    entrance: str  # HATOOL_DEPLOY or ANSIBLE_PLAYBOOK
    outputs: list[str] = field(default_factory=list)
    #: the inventory deployed (default: the lab's own)
    inventory: Path = field(default=Path())

    def __post_init__(self) -> None:
        if self.inventory == Path():
            self.inventory = self.lab.inventory_path

    @property
    def cluster(self) -> Cluster:
        return valid_cluster(str(self.inventory), "the test inventory is invalid")[1]

    @property
    def groups(self) -> dict[str, dict[str, str]]:
        """Group -> {host: address}, as the deployed inventory says."""
        children = yaml.safe_load(self.inventory.read_text())["all"]["children"]
        return {
            group: {h: v["ansible_host"] for h, v in (body.get("hosts") or {}).items()}
            for group, body in children.items()
        }

    @property
    def hosts(self) -> set[str]:
        return {h for hosts in self.groups.values() for h in hosts}

    @property
    def kubeconfig(self) -> Path:
        return Path(self.cluster.paths.admin_kubeconfig)

    def argv(self, *extra: str) -> list[str]:
        if self.entrance == HATOOL_DEPLOY:
            return [str(BIN / "hatool"), "deploy", str(self.inventory), *extra]
        site = str(PROJECT_ROOT / "playbooks" / "site.yml")
        return [str(BIN / "ansible-playbook"), "-i", str(self.inventory), site, *extra]

    def run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Deploy (again); the output is kept for the no-secrets check.

        ``hatool deploy`` keeps Ansible's own output in a log file: its content
        is appended to stdout here, so that the recap checks and the
        no-secrets check read it too.
        """
        done = subprocess.run(
            self.argv(*extra), capture_output=True, text=True, env=ansible_env(),
            cwd=PROJECT_ROOT, check=False,
        )  # fmt: skip
        for log in DEPLOY_LOG.findall(done.stdout):
            done.stdout += "\n" + Path(log).read_text(encoding="utf-8")
            for extra_file in (Path(log).with_suffix(".events.jsonl"),
                               Path(log).with_suffix(".timings.json")):  # fmt: skip
                if extra_file.exists():
                    done.stderr += "\n" + extra_file.read_text(encoding="utf-8")
        self.outputs.append(done.stdout + done.stderr)
        return done

    def playbook(self, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``playbooks/NAME`` on the deployed inventory; the output is kept too."""
        argv = [str(BIN / "ansible-playbook"), "-i", str(self.inventory),
                str(PROJECT_ROOT / "playbooks" / name), *extra]  # fmt: skip
        done = subprocess.run(
            argv, capture_output=True, text=True, env=ansible_env(), cwd=PROJECT_ROOT, check=False
        )
        self.outputs.append(done.stdout + done.stderr)
        return done

    def verify(self, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
        """``hatool verify --json OUT``: the exit code and the report."""
        code = main(["verify", str(self.inventory), "--json", str(out), *extra])
        return code, json.loads(out.read_text())


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
    """A shell command on lab hosts through Ansible (independent of hatool's own SSH code)."""
    return ansible(inventory, host, "-b", "-m", "ansible.builtin.shell", "-a", command)


def host_outputs(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each host's stdout in ``ansible HOSTS -m shell`` output (``host | CHANGED | rc=0 >>``)."""
    parts = re.split(r"^(\S+) \| \w+ \| rc=\d+ >>\n", done.stdout, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def etcdctl_on(deployment: Deployment, host: str, *args: str) -> dict[str, Any] | list[Any] | str:
    """etcdctl on ``host`` through Ansible, against every member; JSON decoded when it is."""
    cluster = deployment.cluster
    argv = ["env", "ETCDCTL_API=3", *cluster.etcd.ctl(cluster.etcd.endpoints()), *args]
    done = on_host(deployment.inventory, host, shlex.join(argv))
    assert done.returncode == 0, done.stdout + done.stderr
    text = host_outputs(done)[host]
    return json.loads(text) if text[:1] in "[{" else text


def without_hosts(inventory: Path, group: str, *hosts: str, name: str) -> Path:
    """A copy of ``inventory`` (in the same folder, so the cluster's files are shared) without ``hosts``."""
    data = yaml.safe_load(inventory.read_text())
    for host in hosts:
        del data["all"]["children"][group]["hosts"][host]
    path = inventory.with_name(name)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def with_vars(inventory: Path, **variables: object) -> None:
    """Set cluster variables in ``inventory`` (under all: vars:)."""
    data = yaml.safe_load(inventory.read_text())
    data["all"]["vars"].update(variables)
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))


def wait_until(condition: Callable[[], bool], seconds: float, every: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def rows(report: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """The report's rows whose name contains ``text``."""
    return [c for c in report["checks"] if text in c["name"]]


def failing(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}
