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
import time
from pathlib import Path

import pytest
import yaml

from hatool.cli import main
from hatool.paths import PROJECT_ROOT
from tests.e2e.conftest import (
    BIN,
    Deployment,
    etcdctl_on,
    host_outputs,
    kubectl,
    on_host,
    recap,
)

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

MASTERS = ("master-1", "master-2", "master-3")


def masters(deployed: Deployment) -> dict[str, str]:
    return deployed.groups["control_plane"]


def every_host(deployed: Deployment) -> set[str]:
    return {h for hosts in deployed.groups.values() for h in hosts}


def host_recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP of the inventory's hosts (the validation play runs on localhost)."""
    return {h: c for h, c in recap(output).items() if h != "localhost"}


def test_the_first_run_changed_every_host(deployed: Deployment) -> None:
    counts = host_recap(deployed.outputs[0])
    assert set(counts) == every_host(deployed)
    assert len(counts) == (7 if "etcd" in deployed.groups else 4)
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in counts.values())
    assert all(c["changed"] > 0 for c in counts.values())


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


def etcd_status(deployed: Deployment) -> list[dict]:
    """``etcdctl endpoint status --cluster``, asked on the first member."""
    members = deployed.etcd_members
    first = next(iter(members))
    endpoints = ",".join(f"https://{a}:2379" for a in members.values())
    status = etcdctl_on(
        deployed.inventory, first, endpoints, "endpoint", "status", "--cluster", "-w", "json"
    )
    assert status.returncode == 0, status.stdout + status.stderr
    return json.loads(host_outputs(status)[first])


def test_etcd_has_three_healthy_members_and_one_leader(deployed: Deployment) -> None:
    members = deployed.etcd_members
    first = next(iter(members))
    endpoints = ",".join(f"https://{a}:2379" for a in members.values())
    health = etcdctl_on(deployed.inventory, first, endpoints, "endpoint", "health", "--cluster")
    assert health.returncode == 0, health.stdout + health.stderr
    assert len(re.findall(r"https://[\d.]+:2379 is healthy", health.stdout)) == 3
    entries = etcd_status(deployed)
    # exactly the inventory's members (the etcd hosts when external), one leader, one term
    assert sorted(e["Endpoint"] for e in entries) == sorted(
        f"https://{a}:2379" for a in members.values()
    )
    assert len({e["Status"]["leader"] for e in entries}) == 1
    assert sum(e["Status"]["header"]["member_id"] == e["Status"]["leader"] for e in entries) == 1
    assert len({e["Status"]["raftTerm"] for e in entries}) == 1


def test_etcd_runs_on_its_members_and_nowhere_else(deployed: Deployment) -> None:
    done = on_host(
        deployed.inventory,
        "all",
        "echo $(pgrep -x etcd >/dev/null && echo process || echo no-process)"
        " $(test -e /var/lib/etcd && echo data || echo no-data)",
    )
    seen = host_outputs(done)
    assert set(seen) == every_host(deployed)
    members = set(deployed.etcd_members)
    assert {h for h, s in seen.items() if s == "process data"} == members
    assert {h for h, s in seen.items() if s == "no-process no-data"} == set(seen) - members


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
    assert len(rows) == 17  # api 4, etcd 4, election 8, certs 1
    assert all(row.startswith("ok") for row in rows)


def test_a_second_run_changes_nothing(deployed: Deployment) -> None:
    again = deployed.run()
    assert again.returncode == 0, again.stdout[-3000:]
    counts = host_recap(again.stdout)
    assert set(counts) == every_host(deployed)
    assert {h: c["changed"] for h, c in counts.items() if c["changed"]} == {}


def test_a_check_run_changes_nothing(deployed: Deployment) -> None:
    check = deployed.run("--check")
    assert check.returncode == 0, check.stdout[-3000:]
    counts = host_recap(check.stdout)
    assert set(counts) == every_host(deployed)
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


# -- external etcd: 3 -> 5 members, then back to 3 with the remove playbook ----------
# These run last on the lab, since they change it.


def playbook(inventory: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PROJECT_ROOT / "playbooks" / name), *extra],
        capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0"),
    )  # fmt: skip


def member_names(deployed: Deployment, inventory: Path) -> list[str]:
    members = yaml.safe_load(inventory.read_text())["all"]["children"]["etcd"]["hosts"]
    endpoints = ",".join(f"https://{v['ansible_host']}:2379" for v in members.values())
    done = etcdctl_on(inventory, "etcd-1", endpoints, "member", "list", "-w", "json")
    assert done.returncode == 0, done.stdout
    return sorted(m.get("name", "") for m in json.loads(host_outputs(done)["etcd-1"])["members"])


KEYS = [f"before-scaling-{i}" for i in range(20)]


@pytest.fixture
def scalable(deployed: Deployment) -> Deployment:
    if not deployed.lab.inventory_path.with_name("hosts-etcd3.yml").exists():
        pytest.skip("scaling runs on the external lab with spare etcd hosts")
    return deployed


def test_scaling_etcd_from_3_to_5_keeps_every_key(scalable: Deployment) -> None:
    deployed = scalable
    for key in KEYS:
        made = kubectl(deployed.kubeconfig, "-n", "default", "create", "configmap", key,
                       f"--from-literal=value={key}-value")  # fmt: skip
        assert made.returncode == 0, made.stderr
    five = deployed.lab.inventory_path
    deployed.inventory = five
    began = time.monotonic()
    done = deployed.run()
    seconds = time.monotonic() - began
    assert done.returncode == 0, done.stdout[-4000:]
    assert member_names(deployed, five) == [f"etcd-{i}" for i in range(1, 6)]
    # the new members joined the running cluster, never formed one of their own
    joined = on_host(five, "etcd-4:etcd-5", "cat /etc/etcd/etcd.env")
    assert all("ETCD_INITIAL_CLUSTER_STATE=existing" in t for t in host_outputs(joined).values())
    assert len(host_outputs(joined)) == 2
    entries = etcd_status(deployed)
    assert len(entries) == 5
    assert len({e["Status"]["header"]["cluster_id"] for e in entries}) == 1
    revision = max(e["Status"]["header"]["revision"] for e in entries)
    endpoints = ",".join(f"https://{a}:2379" for a in deployed.etcd_members.values())
    hashes = etcdctl_on(five, "etcd-1", endpoints, "endpoint", "hashkv", "--cluster",
                        f"--rev={revision}", "-w", "json")  # fmt: skip
    assert hashes.returncode == 0, hashes.stdout
    seen = json.loads(host_outputs(hashes)["etcd-1"])
    assert len(seen) == 5
    assert len({h["HashKV"]["hash"] for h in seen}) == 1, seen
    for key in KEYS:
        read = kubectl(deployed.kubeconfig, "-n", "default", "get", "configmap", key,
                       "-o", "jsonpath={.data.value}")  # fmt: skip
        assert (read.returncode, read.stdout) == (0, f"{key}-value"), read.stderr
    print(f"\nbenchmark: etcd 3 -> 5 members (2 joins, rolling API server restart): {seconds:.0f}s")


def test_an_inventory_that_drops_members_is_refused(scalable: Deployment) -> None:
    three = scalable.lab.inventory_path.with_name("hosts-etcd3.yml")
    done = subprocess.run(
        [str(BIN / "hatool"), "validate", str(three)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "[etcd-member-removed]" in done.stdout
    assert "-e etcd_member=etcd-4" in done.stdout


def test_removing_members_refuses_an_even_count_then_leaves_the_cluster_whole(
    scalable: Deployment,
) -> None:
    five = scalable.lab.inventory_path
    refused = playbook(five, "etcd-remove-member.yml", "-e", "etcd_member=etcd-5")
    assert refused.returncode != 0
    assert "would leave 4 members" in refused.stdout
    assert member_names(scalable, five) == [f"etcd-{i}" for i in range(1, 6)]

    unsafe = playbook(five, "etcd-remove-member.yml", "-e", "etcd_member=etcd-5",
                      "-e", "etcd_allow_unsafe_member_count=true")  # fmt: skip
    assert unsafe.returncode == 0, unsafe.stdout[-3000:]
    three = five.with_name("hosts-etcd3.yml")
    assert member_names(scalable, three) == [f"etcd-{i}" for i in range(1, 5)]
    # the inventory still lists etcd-5; the cluster's member list says who stays
    again = playbook(five, "etcd-remove-member.yml", "-e", "etcd_member=etcd-4")
    assert again.returncode == 0, again.stdout[-3000:]
    assert member_names(scalable, three) == ["etcd-1", "etcd-2", "etcd-3"]
    gone = on_host(
        five, "etcd-4:etcd-5", "systemctl is-active etcd; test -e /var/lib/etcd; echo $?"
    )
    assert {h: t.split() for h, t in host_outputs(gone).items()} == {
        "etcd-4": ["inactive", "1"], "etcd-5": ["inactive", "1"],
    }  # fmt: skip
    # the record agrees with the 3-member inventory again, and verify is content
    assert main(["validate", str(three)]) == 0
    assert main(["verify", str(three)]) == 0
    for key in KEYS:
        read = kubectl(scalable.kubeconfig, "-n", "default", "get", "configmap", key,
                       "-o", "jsonpath={.data.value}")  # fmt: skip
        assert read.stdout == f"{key}-value"
