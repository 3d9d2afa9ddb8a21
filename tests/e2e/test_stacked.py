"""A stacked lab (an etcd member on each master) behind two nginx load balancers and a
virtual IP, deployed with ``hatool deploy``: the deployment, the drills, and verify
catching a cluster broken on purpose.

The takeover bounds are contracts of client-go's leader election and of
keepalived; they are asserted. Other figures are printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hatool.cli import main
from hatool.inventory.yamlfile import safe_load
from tests.helpers.e2e import (
    Deployment,
    failing,
    host_outputs,
    kubectl,
    on_host,
    recap,
    rows,
    wait_until,
)
from tests.helpers.e2e_checks import (
    DeployedChecks,
    DrillChecks,
    figure,
    ran_again,
    role_records,
)

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

#: The plays of site.yml, in order: one phase line each (the first imports validate.yml).
SITE_PLAYS = safe_load((Path(__file__).parents[2] / "playbooks" / "site.yml").read_text())


@pytest.fixture(scope="module")
def deployed(stacked_deployment: Deployment) -> Deployment:
    """3 masters with stacked etcd, 2 load balancers with a virtual IP (shared, see conftest)."""
    return stacked_deployment


@pytest.fixture(scope="module")
def drilled(deployed: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``hatool verify --drills`` once, its report and exit code."""
    out = tmp_path_factory.mktemp("drills") / "verify.json"
    code, report = deployed.verify(out, "--drills")
    return {**report, "exit_code": code}


class TestDeployed(DeployedChecks):
    def test_the_deploy_prints_how_to_use_kubectl(self, deployed: Deployment) -> None:
        assert f"export KUBECONFIG={deployed.kubeconfig}" in deployed.outputs[0]

    def test_the_deploy_shows_one_line_per_phase_and_a_summary(self, deployed: Deployment) -> None:
        printed = deployed.outputs[0].split("\nAnsible's output: ", 1)[0]
        phases = [line for line in printed.splitlines() if line.startswith("[")]
        names = [play["name"] for play in SITE_PLAYS]
        assert [next(n for n in names if n in line) for line in phases] == names
        assert all("FAILED" not in line for line in phases)
        assert "TASK [" not in printed  # Ansible's own output is in the log
        header = next(line for line in printed.splitlines() if line.startswith("host "))
        assert header.split()[:4] == ["host", "ok", "changed", "failed"]
        assert header.split()[-6:] == ["certs", "etcd", "apiserver", "kcm+sched", "lb", "record"]


# -- re-runs: a role runs again exactly where something it manages drifted -----------


def shell(deployed: Deployment, host: str, command: str) -> str:
    done = on_host(deployed.inventory, host, command)
    assert done.returncode == 0, done.stdout + done.stderr
    return host_outputs(done)[host]


class TestReRuns:
    def test_drift_runs_the_roles_that_manage_it_and_repairs_it(
        self, deployed: Deployment, request: pytest.FixtureRequest
    ) -> None:
        m1, m2, m3 = sorted(deployed.groups["control_plane"])
        lb = sorted(deployed.groups["loadbalancer"])[0]
        scheduler_pid = "systemctl show --property=MainPID --value kube-scheduler"
        pid = shell(deployed, m1, scheduler_pid)
        drifts = {
            m1: "touch /etc/kubernetes/scheduler.conf",  # a process older than its file
            m2: "systemctl stop kube-controller-manager"  # a unit stopped
            " && chmod 0600 /etc/systemd/system/kube-scheduler.service",  # a mode changed
            m3: "systemctl disable kube-apiserver",  # a unit disabled
            lb: "echo '# edited by hand' >> /etc/nginx/nginx.conf",  # a file edited
        }
        for host, command in drifts.items():
            shell(deployed, host, command)
        before = role_records(deployed)
        again = deployed.run()
        assert again.returncode == 0, again.stdout[-3000:]
        assert ran_again(before, role_records(deployed)) == {
            "kube_apiserver",
            "kube_controller_manager",
            "kube_scheduler",
            "loadbalancer",
        }  # fmt: skip  (etcd: nothing of it drifted)
        assert shell(deployed, m1, scheduler_pid) != pid
        assert shell(deployed, m2, "systemctl is-active kube-controller-manager") == "active"
        assert shell(deployed, m2, "stat -c %a /etc/systemd/system/kube-scheduler.service") == "644"
        assert shell(deployed, m3, "systemctl is-enabled kube-apiserver") == "enabled"
        assert shell(deployed, m3, "readlink /etc/systemd/system/etcd.service.wants/"
                     "kube-apiserver.service")  # fmt: skip
        assert shell(deployed, lb, "grep -c 'edited by hand' /etc/nginx/nginx.conf || true") == "0"
        settled = role_records(deployed)
        quiet = deployed.run()
        assert quiet.returncode == 0, quiet.stdout[-3000:]
        assert role_records(deployed) == settled
        figure(request, "drift on 4 hosts: 4 roles ran again, etcd was skipped; then nothing ran")

    def test_a_changed_variable_runs_the_role_that_reads_it(self, deployed: Deployment) -> None:
        before = role_records(deployed)
        changed = deployed.run("-e", "kube_apiserver_ready_retries=61")
        assert changed.returncode == 0, changed.stdout[-3000:]
        assert {h: c["changed"] for h, c in recap(changed.stdout).items() if c["changed"]} == {}
        after = role_records(deployed)
        assert ran_again(before, after) == {"kube_apiserver"}
        assert all(after[m]["kube_apiserver"] != before[m]["kube_apiserver"]
                   for m in deployed.groups["control_plane"])  # fmt: skip
        back = deployed.run()
        assert back.returncode == 0, back.stdout[-3000:]
        assert ran_again(after, role_records(deployed)) == {"kube_apiserver"}


class TestDrills(DrillChecks):
    def test_the_virtual_ip_moves_when_its_holder_is_lost(
        self, drilled: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        moves = rows(drilled, "which holds the virtual IP: the virtual IP moves")
        clients = rows(drilled, "which holds the virtual IP: clients of the virtual IP")
        assert len(moves) == len(clients) == 2  # the whole holder, then only its engine
        for move, client in zip(moves, clients, strict=True):
            data = move["data"]
            assert data["to"] not in (None, data["from"])
            assert data["seconds"] <= data["bound_seconds"] + data["slack_seconds"]
            assert client["data"]["longest_gap_seconds"] <= data["bound_seconds"] + 1.0
            figure(
                request,
                f"virtual IP moved in {data['seconds']:.2f}s after '{data['how']}' "
                f"(bound {data['bound_seconds']:g}s); clients: {client['data']['failures']} of "
                f"{client['data']['requests']} failed, longest gap "
                f"{client['data']['longest_gap_seconds']:.2f}s",
            )
        stays = rows(drilled, "comes back as a backup; the virtual IP stays")
        assert len(stays) == 2
        assert all(row["ok"] for row in stays)

    def test_a_whole_master_is_lost_and_its_leases_move(
        self, drilled: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        (reads,) = rows(drilled, "the API through the load balancer keeps answering")
        moved = rows(drilled, "moves to another master")
        assert reads["ok"]
        assert moved
        assert all(row["ok"] for row in moved)
        figure(
            request,
            f"master lost: {reads['data']['failures']} of {reads['data']['requests']} requests "
            f"failed, longest gap {reads['data']['longest_gap_seconds']:.2f}s; Leases moved in "
            + ", ".join(f"{r['data']['seconds']:.2f}s" for r in moved),
        )


# -- verify catches a cluster broken on purpose, naming the host and the cause ----------
# Each test breaks one thing on a standby master, checks the failing row, and
# repairs it; they use the lab after the drills (the `drilled` fixture).


def standby(deployed: Deployment, lease: str) -> str:
    """A master that does not hold ``lease`` (so breaking it leaves the leader alone)."""
    held = kubectl(deployed.kubeconfig, "-n", "kube-system", "get", "lease", lease,
                   "-o", "jsonpath={.spec.holderIdentity}")  # fmt: skip
    holder = held.stdout.rsplit("_", 1)[0]
    names = host_outputs(on_host(deployed.inventory, "control_plane", "hostname"))
    return next(h for h, hostname in sorted(names.items()) if hostname != holder)


def healthy_again(deployed: Deployment, tmp_path: Path) -> bool:
    return wait_until(lambda: main(["verify", str(deployed.inventory)]) == 0, 90)


class TestBreakage:
    def test_a_stopped_standby_is_caught(
        self, deployed: Deployment, drilled: dict[str, Any], tmp_path: Path
    ) -> None:
        host = standby(deployed, "kube-scheduler")
        assert on_host(deployed.inventory, host, "systemctl stop kube-scheduler").returncode == 0
        try:
            code, report = deployed.verify(tmp_path / "verify.json")
        finally:
            on_host(deployed.inventory, host, "systemctl start kube-scheduler")
        assert code == 1
        assert failing(report) == {
            "kube-scheduler: leader and standbys active": f"{host}: inactive"
        }
        assert healthy_again(deployed, tmp_path)

    def test_leader_election_turned_off_on_one_master_is_caught(
        self, deployed: Deployment, drilled: dict[str, Any], tmp_path: Path
    ) -> None:
        unit = "/etc/systemd/system/kube-controller-manager.service"
        host = standby(deployed, "kube-controller-manager")
        edit = f"sed -i 's/--leader-elect=true/--leader-elect=false/' {unit}"
        undo = f"sed -i 's/--leader-elect=false/--leader-elect=true/' {unit}"
        restart = "systemctl daemon-reload && systemctl restart kube-controller-manager"
        assert on_host(deployed.inventory, host, f"{edit} && {restart}").returncode == 0
        try:
            code, report = deployed.verify(tmp_path / "verify.json")
        finally:
            on_host(deployed.inventory, host, f"{undo} && {restart}")
        assert code == 1
        assert failing(report) == {
            "kube-controller-manager: leader election on, with the configured timings":
                f"{host}: --leader-elect=false",
        }  # fmt: skip
        assert healthy_again(deployed, tmp_path)

    def test_a_missing_etcd_member_is_caught(
        self, deployed: Deployment, drilled: dict[str, Any], tmp_path: Path
    ) -> None:
        member = deployed.cluster.etcd.members[-1]
        assert on_host(deployed.inventory, member.name, "systemctl stop etcd").returncode == 0
        try:
            code, report = deployed.verify(tmp_path / "verify.json")
        finally:
            on_host(deployed.inventory, member.name, "systemctl start etcd")
        assert code == 1
        expected = f"not healthy: {member.name} ({member.client_url})"
        assert expected in failing(report)["every member healthy"]
        assert healthy_again(deployed, tmp_path)

    def test_a_load_balancer_without_keepalived_is_caught(
        self, deployed: Deployment, drilled: dict[str, Any], tmp_path: Path
    ) -> None:
        holder = rows(deployed.verify(tmp_path / "before.json")[1], "holds the virtual IP")
        backup = next(
            h for h in deployed.groups["loadbalancer"] if h not in holder[0]["data"]["holders"]
        )
        assert on_host(deployed.inventory, backup, "systemctl stop keepalived").returncode == 0
        try:
            code, report = deployed.verify(tmp_path / "verify.json")
        finally:
            on_host(deployed.inventory, backup, "systemctl start keepalived")
        assert code == 1
        assert failing(report) == {
            "nginx and keepalived active on every load balancer": f"{backup}: keepalived inactive"
        }
        assert healthy_again(deployed, tmp_path)
