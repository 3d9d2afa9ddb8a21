"""Helpers for the day-2 end-to-end tests: one lab, the commands run on it, and their figures.

Everything here acts on a real lab: hatool and ansible-playbook run as
subprocesses (their output is kept, to prove no key material reaches it),
etcd is asked with etcdctl inside the members' containers, the API with kubectl.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hatool.artifacts.cache import artifacts_dir
from hatool.lab.plan import Lab
from hatool.paths import PROJECT_ROOT
from hatool.verify.streams import WriteStream
from hatool.versions import OFFLINE_KUBE_VERSION

BIN = Path(sys.executable).parent
ETCD_PKI = "/etc/etcd/pki"


def lab_name(suffix: str) -> str:
    """A test lab's name: ``t-<pid>-<suffix>``, or ``$HATOOL_TEST_LAB_PREFIX-<pid>-<suffix>``."""
    return f"{os.environ.get('HATOOL_TEST_LAB_PREFIX', 't')}-{os.getpid()}-{suffix}"


@dataclass
class Day2Lab:
    """A deployed lab, the inventory deployed from it, and everything the commands printed."""

    lab: Lab
    #: the lab's own inventory with the test's overrides (etcd_version...), in the lab's folder
    inventory: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def cluster_dir(self) -> Path:
        return self.lab.dir / ".hatool" / "hatool"

    @property
    def kubeconfig(self) -> Path:
        return self.cluster_dir / "admin.conf"

    @property
    def backups(self) -> Path:
        return self.cluster_dir / "backups"

    @property
    def masters(self) -> list[str]:
        return [h.name for h in self.lab.group("control_plane")]

    @property
    def lb_address(self) -> str:
        return self.lab.group("loadbalancer")[0].address

    def write_inventory(self, **overrides: Any) -> Path:
        """(Re)write the inventory from the lab's, with the overrides so far and these."""
        self.lab = Lab.load(self.lab.name)
        self.overrides.update(overrides)
        data = yaml.safe_load(self.lab.inventory_path.read_text())
        data["all"]["vars"].update(self.overrides)
        self.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
        return self.inventory

    def run(self, *argv: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"),
                   ANSIBLE_FORCE_COLOR="0", PYTHONPATH=str(PROJECT_ROOT))  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT,
                              check=False)  # fmt: skip
        self.outputs.append(done.stdout + done.stderr)
        if check:
            assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-2000:])
        return done

    def hatool(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "hatool", *args, check=check)

    def playbook(
        self, name: str, *extra: str, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        book = str(PROJECT_ROOT / "playbooks" / name)
        return self.run(str(BIN / "ansible-playbook"), "-i", str(self.inventory), book, *extra,
                        check=check)  # fmt: skip

    def figure(self, name: str, value: str) -> str:
        self.figures[name] = value
        return f"day2 figure: {name}: {value}"

    # -- the cluster, asked without hatool's own code --------------------------------

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        binary = artifacts_dir() / "bin" / OFFLINE_KUBE_VERSION / "kubectl"
        return subprocess.run(
            [str(binary), f"--kubeconfig={self.kubeconfig}", "--request-timeout=15s", *args],
            input=stdin, capture_output=True, text=True, check=False,
        )  # fmt: skip

    def etcdctl(self, *args: str, host: str | None = None) -> subprocess.CompletedProcess[str]:
        """etcdctl inside a member's container (default: the first master), every member's URL."""
        members = self.lab.group("control_plane")
        endpoints = ",".join(f"https://{h.address}:2379" for h in members)
        return self.lab.host(host or members[0].name).exec(
            ["env", "ETCDCTL_API=3", "/usr/local/bin/etcdctl", f"--endpoints={endpoints}",
             f"--cacert={ETCD_PKI}/ca.crt", f"--cert={ETCD_PKI}/healthcheck-client.crt",
             f"--key={ETCD_PKI}/healthcheck-client.key", *args],
            check=False,
        )  # fmt: skip

    def etcd_status(self) -> list[dict[str, Any]]:
        done = self.etcdctl("endpoint", "status", "-w", "json")
        assert done.returncode == 0, done.stderr
        entries: list[dict[str, Any]] = json.loads(done.stdout)
        return entries

    def service_pids(self, *units: str) -> dict[str, str]:
        """``host/unit`` -> its MainPID and start time: unchanged while nothing was restarted."""
        seen = {}
        for host in self.masters:
            for unit in units:
                done = self.lab.host(host).exec(
                    ["systemctl", "show", "-p", "MainPID", "-p", "ActiveEnterTimestampMonotonic", unit],
                    check=False,
                )  # fmt: skip
                seen[f"{host}/{unit}"] = " ".join(done.stdout.split())
        return seen

    def make_objects(self, label: str, count: int) -> list[str]:
        """``count`` ConfigMaps and ``count`` Secrets in ``default``, named ``<label>-<i>``."""
        items = []
        for i in range(count):
            name = f"{label}-{i}"
            meta = {"name": name, "labels": {"hatool-day2": label}}
            items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                          "data": {"value": name}})  # fmt: skip
            items.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta,
                          "stringData": {"value": name}})  # fmt: skip
        manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
        done = self.kubectl("-n", "default", "create", "-f", "-", stdin=manifest)
        assert done.returncode == 0, done.stderr
        return [f"{label}-{i}" for i in range(count)]

    def objects(self, label: str) -> tuple[list[str], list[str]]:
        """The names of the ConfigMaps and of the Secrets labelled ``label``."""
        found = []
        for kind in ("configmaps", "secrets"):
            done = self.kubectl("-n", "default", "get", kind, "-l", f"hatool-day2={label}",
                                "-o", "jsonpath={.items[*].metadata.name}")  # fmt: skip
            assert done.returncode == 0, done.stderr
            found.append(sorted(done.stdout.split()))
        return found[0], found[1]

    def until_verified(self, timeout: float = 180.0) -> float:
        """Seconds until ``hatool verify`` passes; fails the test after ``timeout``."""
        began = time.monotonic()
        while True:
            done = self.hatool("verify", str(self.inventory))
            if done.returncode == 0:
                return time.monotonic() - began
            assert time.monotonic() - began < timeout, done.stdout[-3000:]
            time.sleep(5)


class DetailedWriteStream(WriteStream):
    """The drills' write stream, keeping the API's message for each failed write."""

    def request(self) -> tuple[bool, str]:
        self._count += 1
        path = f"/api/v1/namespaces/default/configmaps/{self.NAME}"
        conn = http.client.HTTPSConnection(
            self._address, self._port, context=self._context, timeout=self._timeout
        )
        body = json.dumps({"data": {"count": str(self._count)}})
        try:
            conn.request("PATCH", path, body, {"Content-Type": "application/merge-patch+json"})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            return response.status == 200, f"HTTP {response.status}: {text[:200]}"
        except (OSError, http.client.HTTPException) as exc:
            return False, f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
