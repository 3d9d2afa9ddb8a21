"""Deploy onto a fresh lab through each entrance, then check what issue 4 asks of the result.

Each check uses tools independent of hatool's own verify code (kubectl,
etcdctl on a member through Ansible); ``hatool verify`` is checked too.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess

import pytest
import yaml

from hatool.cli import main
from hatool.paths import PROJECT_ROOT
from tests.e2e.conftest import BIN, Deployment, etcdctl_on, host_outputs, kubectl, on_host, recap

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

MASTERS = ("master-1", "master-2", "master-3")


def masters(deployed: Deployment) -> dict[str, str]:
    return {h.name: h.address for h in deployed.lab.hosts if "control_plane" in h.groups}


def test_the_first_run_changed_every_host(deployed: Deployment) -> None:
    counts = recap(deployed.outputs[0])
    assert set(MASTERS) | {"lb-1"} <= set(counts)
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in counts.values())
    assert all(counts[h]["changed"] > 0 for h in (*MASTERS, "lb-1"))


def test_readyz_through_the_load_balancer(deployed: Deployment) -> None:
    config = yaml.safe_load(deployed.kubeconfig.read_text())
    lb = next(h for h in deployed.lab.hosts if "loadbalancer" in h.groups)
    assert config["clusters"][0]["cluster"]["server"] == f"https://{lb.address}:6443"
    done = kubectl(deployed.kubeconfig, "get", "--raw", "/readyz")
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


@pytest.mark.parametrize("master", MASTERS)
def test_readyz_of_each_api_server_directly(deployed: Deployment, master: str) -> None:
    server = f"--server=https://{masters(deployed)[master]}:6443"
    done = kubectl(deployed.kubeconfig, server, "get", "--raw", "/readyz")
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_etcd_has_three_healthy_members_and_one_leader(deployed: Deployment) -> None:
    endpoints = ",".join(f"https://{a}:2379" for a in masters(deployed).values())
    health = etcdctl_on(
        deployed.inventory, "master-1", endpoints, "endpoint", "health", "--cluster"
    )
    assert health.returncode == 0, health.stdout + health.stderr
    assert len(re.findall(r"https://[\d.]+:2379 is healthy", health.stdout)) == 3
    status = etcdctl_on(
        deployed.inventory, "master-1", endpoints, "endpoint", "status", "--cluster", "-w", "json"
    )
    entries = json.loads(host_outputs(status)["master-1"])
    assert len(entries) == 3
    assert len({e["Status"]["leader"] for e in entries}) == 1
    assert sum(e["Status"]["header"]["member_id"] == e["Status"]["leader"] for e in entries) == 1


@pytest.mark.parametrize("lease", ["kube-controller-manager", "kube-scheduler"])
def test_each_lease_is_held_by_a_master(deployed: Deployment, lease: str) -> None:
    done = kubectl(
        deployed.kubeconfig,
        "-n",
        "kube-system",
        "get",
        "lease",
        lease,
        "-o",
        "jsonpath={.spec.holderIdentity}",
    )
    assert done.returncode == 0, done.stderr
    hostname = done.stdout.rsplit("_", 1)[0]
    names = on_host(deployed.inventory, "control_plane", "hostname")
    hostnames = host_outputs(names)
    assert sorted(hostnames) == list(MASTERS), names.stdout
    assert hostname in hostnames.values()


def test_every_controller_manager_and_scheduler_is_active(deployed: Deployment) -> None:
    done = on_host(
        deployed.inventory,
        "control_plane",
        "systemctl is-active kube-controller-manager kube-scheduler",
    )
    assert done.returncode == 0, done.stdout
    states = host_outputs(done)
    assert sorted(states) == list(MASTERS)
    assert all(state.split() == ["active", "active"] for state in states.values()), states


def test_hatool_verify_agrees(deployed: Deployment) -> None:
    assert main(["verify", str(deployed.inventory)]) == 0


def test_the_verify_playbook_agrees(deployed: Deployment) -> None:
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(deployed.inventory), str(PROJECT_ROOT / "playbooks" / "verify.yml")],
        capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg")),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith(("ok    ", "FAIL  "))]
    assert len(rows) == 14
    assert all(row.startswith("ok") for row in rows)


def test_a_second_run_changes_nothing(deployed: Deployment) -> None:
    again = deployed.run()
    assert again.returncode == 0, again.stdout[-3000:]
    counts = recap(again.stdout)
    assert set(MASTERS) | {"lb-1"} <= set(counts)
    assert {h: c["changed"] for h, c in counts.items() if c["changed"]} == {}


def test_a_check_run_changes_nothing(deployed: Deployment) -> None:
    check = deployed.run("--check")
    assert check.returncode == 0, check.stdout[-3000:]
    counts = recap(check.stdout)
    assert set(MASTERS) | {"lb-1"} <= set(counts)
    assert {h: c["changed"] for h, c in counts.items() if c["changed"]} == {}


def secrets(deployed: Deployment) -> list[str]:
    """Pieces of every private key, certificate and embedded credential of the cluster."""
    pieces = []
    for path in deployed.cluster_dir.rglob("*"):
        if path.suffix in (".key", ".crt", ".pub"):
            lines = [
                ln for ln in path.read_text().splitlines() if ln and not ln.startswith("-----")
            ]
            pieces += [ln for ln in lines if len(ln) >= 40]
        if path.suffix == ".conf":
            user = yaml.safe_load(path.read_text())["users"][0]["user"]
            pieces.append(base64.b64decode(user["client-key-data"]).decode().splitlines()[1])
            pieces.append(user["client-key-data"][:60])
    return pieces


def test_no_key_certificate_or_credential_in_any_output(deployed: Deployment) -> None:
    assert len(deployed.outputs) >= 3  # first run, second run, check run
    output = "\n".join(deployed.outputs)
    assert "PRIVATE KEY" not in output
    assert "BEGIN CERTIFICATE" not in output
    pieces = secrets(deployed)
    assert len(pieces) > 50
    leaked = [p for p in pieces if p in output]
    assert leaked == []


def test_the_deploy_prints_how_to_use_kubectl(deployed: Deployment) -> None:
    if deployed.entrance != "hatool deploy":
        pytest.skip("only hatool deploy prints the kubectl hint")
    assert f"export KUBECONFIG={deployed.kubeconfig}" in deployed.outputs[0]
