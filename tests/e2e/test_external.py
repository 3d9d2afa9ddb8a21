"""An external etcd lab (etcd on its own hosts) behind two haproxy load balancers and a
virtual IP, deployed with plain ``ansible-playbook`` and etcd on non-default ports and
certificate folder: the deployment, the drills that differ with haproxy, and growing and
shrinking etcd (3 -> 5 -> 3).

The lab has two spare etcd hosts, left out of the first deploy for the 3 -> 5 step.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hatool.cli import main
from tests.helpers import lab_down, lab_up
from tests.helpers.e2e import (
    ANSIBLE_PLAYBOOK,
    BIN,
    Deployment,
    etcdctl_on,
    failing,
    host_outputs,
    kubectl,
    on_host,
    rows,
    with_vars,
    without_hosts,
)
from tests.helpers.e2e_checks import (
    DeployedChecks,
    DrillChecks,
    api_servers_restart_losing_nothing,
    figure,
)

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

SPARE = ("etcd-4", "etcd-5")
#: Non-default etcd settings, to show that every entrance honours them end to end.
ETCD = {"etcd_client_port": 2479, "etcd_peer_port": 2480, "etcd_pki_dir": "/etc/etcd/tls"}
KEYS = [f"before-scaling-{i}" for i in range(20)]


@pytest.fixture(scope="module")
def deployed(lab_state: Path) -> Iterator[Deployment]:
    """3 masters, 3 of 5 etcd hosts, 2 haproxy load balancers with a virtual IP."""
    name = f"t-{os.getpid()}-ex"
    lab = lab_up(name, "--topology", "external", "--etcd", "5", "--lbs", "2")
    with_vars(lab.inventory_path, loadbalancer_engine="haproxy", **ETCD)
    three = without_hosts(lab.inventory_path, "etcd", *SPARE, name="hosts-etcd3.yml")
    deployment = Deployment(lab, ANSIBLE_PLAYBOOK, inventory=three)
    first = deployment.run()
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    yield deployment
    lab_down(name)


#: The drills whose figures differ with haproxy and external etcd; the stacked lab runs
#: every drill, and 'scripts/test --full' runs every drill here too.
DRILLS = ("apiserver", "rolling", "vip", "master")


@pytest.fixture(scope="module")
def drilled(deployed: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("drills") / "verify.json"
    only = [] if os.environ.get("HATOOL_FULL") == "1" else [f"--drill={d}" for d in DRILLS]
    code, report = deployed.verify(out, "--drills", *only)
    return {**report, "exit_code": code}


class TestDeployed(DeployedChecks):
    def test_etcd_listens_where_the_inventory_says(self, deployed: Deployment) -> None:
        done = on_host(
            deployed.inventory, "etcd",
            "ss -Htln | grep -c ':2479 \\|:2480 '; ls /etc/etcd/tls | wc -l",
        )  # fmt: skip
        seen = host_outputs(done)
        assert sorted(seen) == ["etcd-1", "etcd-2", "etcd-3"]
        for lines in seen.values():
            listeners, files = (int(x) for x in lines.split())
            assert listeners >= 2
            assert files >= 7

    def test_the_load_balancers_check_every_api_server(self, deployed: Deployment) -> None:
        done = on_host(
            deployed.inventory,
            "loadbalancer",
            "grep -c 'check-ssl' /etc/haproxy/haproxy.cfg; systemctl is-active haproxy",
        )
        seen = host_outputs(done)
        assert all(text.split() == ["1", "active"] for text in seen.values()), seen


class TestDrills:
    """The drills that differ with haproxy's active checks and external etcd."""

    def test_every_drill_holds(self, drilled: dict[str, Any]) -> None:
        assert failing(drilled) == {}
        assert drilled["exit_code"] == 0

    def test_api_servers_restart_under_load_losing_nothing(
        self, drilled: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        api_servers_restart_losing_nothing(drilled, request)

    def test_the_virtual_ip_moves_with_haproxy_too(
        self, drilled: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        moves = rows(drilled, "which holds the virtual IP: the virtual IP moves")
        assert len(moves) == 2
        assert all(m["ok"] for m in moves)
        for move in moves:
            figure(request, f"haproxy: virtual IP moved in {move['data']['seconds']:.2f}s "
                            f"after '{move['data']['how']}'")  # fmt: skip

    def test_losing_a_master_costs_no_request_with_external_etcd(
        self, drilled: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        (reads,) = rows(drilled, "the API through the load balancer keeps answering")
        assert reads["data"]["failures"] == 0
        figure(request, f"external etcd, master lost: {reads['detail']}")


@pytest.mark.full
class TestEveryDrill(DrillChecks):
    pass


# -- external etcd: 3 -> 5 members, then back to 3 with the remove playbook ----------


def member_names(deployed: Deployment) -> list[str]:
    listing = etcdctl_on(deployed, "etcd-1", "member", "list", "-w", "json")
    assert isinstance(listing, dict)
    return sorted(m.get("name", "") for m in listing["members"])


@pytest.fixture(scope="module")
def scaled(deployed: Deployment, drilled: dict[str, Any]) -> tuple[Deployment, float]:
    """The cluster grown from 3 to 5 members (after the drills), 20 ConfigMaps written before."""
    for key in KEYS:
        made = kubectl(deployed.kubeconfig, "-n", "default", "create", "configmap", key,
                       f"--from-literal=value={key}-value")  # fmt: skip
        assert made.returncode == 0, made.stderr
    five = Deployment(deployed.lab, ANSIBLE_PLAYBOOK, deployed.outputs)
    began = time.monotonic()
    done = five.run()
    assert done.returncode == 0, done.stdout[-4000:]
    return five, time.monotonic() - began


def test_scaling_etcd_from_3_to_5_keeps_every_key(
    scaled: tuple[Deployment, float], request: pytest.FixtureRequest
) -> None:
    five, seconds = scaled
    assert member_names(five) == [f"etcd-{i}" for i in range(1, 6)]
    joined = on_host(five.inventory, "etcd-4:etcd-5", "cat /etc/etcd/etcd.env")
    assert len(host_outputs(joined)) == 2
    assert all("ETCD_INITIAL_CLUSTER_STATE=existing" in t for t in host_outputs(joined).values())
    status = etcdctl_on(five, "etcd-1", "endpoint", "status", "--cluster", "-w", "json")
    assert isinstance(status, list)
    assert len(status) == 5
    assert len({e["Status"]["header"]["cluster_id"] for e in status}) == 1
    revision = max(e["Status"]["header"]["revision"] for e in status)
    hashes = etcdctl_on(five, "etcd-1", "endpoint", "hashkv", "--cluster", f"--rev={revision}",
                        "-w", "json")  # fmt: skip
    assert isinstance(hashes, list)
    assert len(hashes) == 5
    assert len({h["HashKV"]["hash"] for h in hashes}) == 1, hashes
    for key in KEYS:
        read = kubectl(five.kubeconfig, "-n", "default", "get", "configmap", key,
                       "-o", "jsonpath={.data.value}")  # fmt: skip
        assert (read.returncode, read.stdout) == (0, f"{key}-value"), read.stderr
    figure(request, f"etcd 3 -> 5 members (2 joins, rolling API server restart): {seconds:.0f}s")


def test_an_inventory_that_drops_members_is_refused(
    deployed: Deployment, scaled: tuple[Deployment, float]
) -> None:
    done = subprocess.run(
        [str(BIN / "hatool"), "validate", str(deployed.inventory)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "[etcd-member-removed]" in done.stdout
    assert "-e etcd_member=etcd-4" in done.stdout


def test_removing_members_refuses_an_even_count_then_leaves_the_cluster_whole(
    deployed: Deployment, scaled: tuple[Deployment, float]
) -> None:
    five, _ = scaled
    refused = five.playbook("etcd-remove-member.yml", "-e", "etcd_member=etcd-5")
    assert refused.returncode != 0
    assert "would leave 4 members" in refused.stdout
    assert member_names(five) == [f"etcd-{i}" for i in range(1, 6)]
    unsafe = five.playbook("etcd-remove-member.yml", "-e", "etcd_member=etcd-5",
                           "-e", "etcd_allow_unsafe_member_count=true")  # fmt: skip
    assert unsafe.returncode == 0, unsafe.stdout[-3000:]
    assert member_names(five) == [f"etcd-{i}" for i in range(1, 5)]
    # the inventory still lists etcd-5; the cluster's member list says who stays
    again = five.playbook("etcd-remove-member.yml", "-e", "etcd_member=etcd-4")
    assert again.returncode == 0, again.stdout[-3000:]
    assert member_names(five) == ["etcd-1", "etcd-2", "etcd-3"]
    data = five.cluster.etcd.data_dir
    gone = on_host(
        five.inventory, "etcd-4:etcd-5", f"systemctl is-active etcd; test -e {data}; echo $?"
    )
    assert {h: t.split() for h, t in host_outputs(gone).items()} == {
        "etcd-4": ["inactive", "1"], "etcd-5": ["inactive", "1"],
    }  # fmt: skip
    # the record agrees with the 3-member inventory again, and verify is content
    assert main(["validate", str(deployed.inventory)]) == 0
    assert main(["verify", str(deployed.inventory)]) == 0
    for key in KEYS:
        read = kubectl(deployed.kubeconfig, "-n", "default", "get", "configmap", key,
                       "-o", "jsonpath={.data.value}")  # fmt: skip
        assert read.stdout == f"{key}-value"
