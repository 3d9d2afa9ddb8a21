"""Checks every deployed lab must pass, as classes an end-to-end module subclasses.

A module (``tests/e2e/test_stacked.py``...) deploys its own lab in a
module-scoped fixture named ``deployed`` (and runs the drills in one named
``drilled``) and subclasses these classes, so each lab gets the same checks
without one module depending on another or on test order.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.helpers.e2e import (
    Deployment,
    etcdctl_on,
    failing,
    host_outputs,
    kubectl,
    on_host,
    recap,
    rows,
)
from tests.helpers.leaks import leaked, secrets

LEASES = ("kube-controller-manager", "kube-scheduler")


def expected_records(deployed: Deployment, host: str) -> set[str]:
    """The roles whose record (hatool.hoststate) a deployed host has."""
    roles = set()
    if host in deployed.groups["control_plane"]:
        roles |= {"kube_apiserver", "kube_controller_manager", "kube_scheduler"}
    if host in [m.name for m in deployed.cluster.etcd.members]:
        roles.add("etcd")
    if host in deployed.groups["loadbalancer"]:
        roles.add("loadbalancer")
    return roles


def ran_again(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> set[str]:
    """The roles that ran in full on some host (their record was written again)."""
    return {role for host, roles in after.items() for role, written in roles.items()
            if before.get(host, {}).get(role) != written}  # fmt: skip


def role_records(deployed: Deployment) -> dict[str, dict[str, str]]:
    """Host -> role -> when its record was last written (ns): a role that ran in full
    on a host wrote it again, a role skipped there did not."""
    done = on_host(deployed.inventory, "all", "stat -c '%n %y' /var/lib/hatool/roles/*.json")
    assert done.returncode == 0, done.stdout + done.stderr
    found: dict[str, dict[str, str]] = {}
    for host, text in host_outputs(done).items():
        for line in text.splitlines():
            path, written = line.split(" ", 1)
            found.setdefault(host, {})[path.rsplit("/", 1)[1].removesuffix(".json")] = written
    return found


def host_recap(output: str) -> dict[str, dict[str, int]]:
    return recap(output)


def figure(request: pytest.FixtureRequest, text: str) -> None:
    """A measured figure, written to the terminal (and so the CI log) as the test runs.

    Output capture is suspended around the line: while a test runs, pytest
    captures file descriptor 1, and the terminal reporter's line would
    otherwise show only if the test failed.
    """
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"figure: {text}")


class DeployedChecks:
    """A fresh lab deployed once: the result, as independent tools see it."""

    def test_the_first_run_changed_every_host(self, deployed: Deployment) -> None:
        counts = recap(deployed.outputs[0])
        assert set(counts) == deployed.hosts
        assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in counts.values())
        assert all(c["changed"] > 0 for c in counts.values())

    def test_clients_reach_the_api_where_the_kubeconfig_says(self, deployed: Deployment) -> None:
        config = yaml.safe_load(deployed.kubeconfig.read_text())
        entry = deployed.cluster.loadbalancers.entry
        assert config["clusters"][0]["cluster"]["server"] == f"https://{entry.address}:6443"
        if deployed.lab.vip:
            assert entry.address == deployed.lab.vip
        done = kubectl(deployed.kubeconfig, "get", "--raw", "/readyz")
        assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr

    def test_readyz_of_each_api_server_and_load_balancer(self, deployed: Deployment) -> None:
        addresses = [*deployed.groups["control_plane"].values(),
                     *deployed.groups["loadbalancer"].values()]  # fmt: skip
        for address in addresses:
            server = f"--server=https://{address}:6443"
            done = kubectl(deployed.kubeconfig, server, "get", "--raw", "/readyz")
            assert (done.returncode, done.stdout.strip()) == (0, "ok"), (address, done.stderr)

    def test_etcd_has_its_members_healthy_and_one_leader(self, deployed: Deployment) -> None:
        members = deployed.cluster.etcd.members
        first = members[0].name
        health = etcdctl_on(deployed, first, "endpoint", "health", "--cluster", "-w", "json")
        assert isinstance(health, list)
        assert sorted(h["endpoint"] for h in health if h["health"]) == sorted(
            m.client_url for m in members
        )
        status = etcdctl_on(deployed, first, "endpoint", "status", "--cluster", "-w", "json")
        assert isinstance(status, list)
        assert sorted(e["Endpoint"] for e in status) == sorted(m.client_url for m in members)
        assert len({e["Status"]["leader"] for e in status}) == 1
        assert sum(e["Status"]["header"]["member_id"] == e["Status"]["leader"] for e in status) == 1
        assert len({e["Status"]["raftTerm"] for e in status}) == 1

    def test_etcd_runs_on_its_members_and_nowhere_else(self, deployed: Deployment) -> None:
        data = deployed.cluster.etcd.data_dir
        done = on_host(
            deployed.inventory, "all",
            "echo $(pgrep -x etcd >/dev/null && echo process || echo no-process)"
            f" $(test -e {data} && echo data || echo no-data)",
        )  # fmt: skip
        seen = host_outputs(done)
        assert set(seen) == deployed.hosts
        members = {m.name for m in deployed.cluster.etcd.members}
        assert {h for h, s in seen.items() if s == "process data"} == members
        assert {h for h, s in seen.items() if s == "no-process no-data"} == set(seen) - members

    @pytest.mark.parametrize("lease", LEASES)
    def test_each_lease_is_held_by_a_master(self, deployed: Deployment, lease: str) -> None:
        done = kubectl(deployed.kubeconfig, "-n", "kube-system", "get", "lease", lease,
                       "-o", "jsonpath={.spec.holderIdentity}")  # fmt: skip
        assert done.returncode == 0, done.stderr
        hostnames = host_outputs(on_host(deployed.inventory, "control_plane", "hostname"))
        assert sorted(hostnames) == sorted(deployed.groups["control_plane"])
        assert done.stdout.rsplit("_", 1)[0] in hostnames.values()

    def test_every_controller_manager_and_scheduler_is_active(self, deployed: Deployment) -> None:
        done = on_host(
            deployed.inventory, "control_plane", f"systemctl is-active {' '.join(LEASES)}"
        )
        assert done.returncode == 0, done.stdout
        states = host_outputs(done)
        assert sorted(states) == sorted(deployed.groups["control_plane"])
        assert all(state.split() == ["active", "active"] for state in states.values()), states

    def test_hatool_verify_and_the_verify_playbook_agree(
        self, deployed: Deployment, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        code, report = deployed.verify(tmp_path_factory.mktemp("verify") / "verify.json")
        assert (code, failing(report)) == (0, {})
        areas = {c["area"] for c in report["checks"]}
        assert {"api", "lb", "etcd", "election"} <= areas
        if deployed.lab.vip:
            assert rows(report, "exactly one load balancer holds the virtual IP")[0]["ok"]
        done = deployed.playbook("verify.yml")
        assert done.returncode == 0, done.stdout[-3000:]
        printed = [
            line for line in done.stdout.splitlines() if line.startswith(("ok    ", "FAIL  "))
        ]
        assert len(printed) == len(report["checks"])
        assert all(line.startswith("ok") for line in printed)

    def test_a_second_run_changes_nothing(self, deployed: Deployment) -> None:
        """Twice: as operators re-run (every role skipped on hosts as it left them), and
        with every task run (``deploy_skip_unchanged=false``), the roles' own idempotence."""
        before = role_records(deployed)
        assert set(before) == deployed.hosts
        assert {h: set(r) for h, r in before.items()} == {
            h: expected_records(deployed, h) for h in deployed.hosts
        }
        again = deployed.run()
        assert again.returncode == 0, again.stdout[-3000:]
        counts = recap(again.stdout)
        assert set(counts) == deployed.hosts
        assert {h: c["changed"] for h, c in counts.items() if c["changed"]} == {}
        assert ran_again(before, role_records(deployed)) == set()  # no role, anywhere
        full = deployed.run("-e", "deploy_skip_unchanged=false")
        assert full.returncode == 0, full.stdout[-3000:]
        counts = recap(full.stdout)
        assert {h: c["changed"] for h, c in counts.items() if c["changed"]} == {}
        rewritten = role_records(deployed)
        assert all(rewritten[h][r] != before[h][r] for h in before for r in before[h])

    def test_a_check_run_changes_nothing(self, deployed: Deployment) -> None:
        check = deployed.run("--check")
        assert check.returncode == 0, check.stdout[-3000:]
        counts = recap(check.stdout)
        assert set(counts) == deployed.hosts
        assert {h: c["changed"] for h, c in counts.items() if c["changed"]} == {}

    def test_no_key_certificate_or_credential_in_any_output(self, deployed: Deployment) -> None:
        assert len(deployed.outputs) >= 1
        output = "\n".join(deployed.outputs)
        assert "PRIVATE KEY" not in output
        assert "BEGIN CERTIFICATE" not in output
        folder = deployed.kubeconfig.parent
        assert len(secrets(folder)) > 50  # the encryption keys among them
        assert leaked(folder, output) == []


class DrillChecks:
    """``hatool verify --drills`` on the deployed lab: every drill within its bound."""

    def test_every_check_and_drill_holds(self, drilled: dict[str, Any]) -> None:
        assert failing(drilled) == {}
        assert drilled["exit_code"] == 0

    @pytest.mark.parametrize("component", LEASES)
    def test_a_killed_leader_is_replaced_within_the_lease_window(
        self, drilled: dict[str, Any], component: str, request: pytest.FixtureRequest
    ) -> None:
        (row,) = rows(drilled, f"SIGKILL the leading {component}")
        data = row["data"]
        low, high = data["window_seconds"]
        slack = data["slack_seconds"]
        assert low - slack / 2 <= data["takeover_seconds"] <= high + slack
        assert data["to"] != data["from"]
        assert data["lease_transitions_delta"] == 1
        figure(request, f"{component} takeover after SIGKILL {data['takeover_seconds']:.2f}s")

    @pytest.mark.parametrize("component", LEASES)
    def test_a_planned_leader_restart_hands_the_lease_over(
        self, drilled: dict[str, Any], component: str, request: pytest.FixtureRequest
    ) -> None:
        (row,) = rows(drilled, f"planned restart of the leading {component}")
        data = row["data"]
        assert data["leaderless_seconds"] <= data["bound_seconds"] + data["slack_seconds"]
        assert data["to"] not in (None, data["from"])
        assert data["old_leader_state"] not in ("active", None)
        figure(
            request,
            f"{component} planned restart: leaderless {data['leaderless_seconds']:.2f}s "
            f"(SIGKILL: {data['sigkill_seconds']:.2f}s)",
        )

    def test_api_servers_restart_under_load_losing_nothing(
        self, drilled: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        api_servers_restart_losing_nothing(drilled, request)

    def test_etcd_keeps_its_data_through_member_loss(self, drilled: dict[str, Any]) -> None:
        (hashkv,) = rows(drilled, "hashkv")
        assert len(hashkv["data"]["hashes"]) >= 3
        assert len(set(hashkv["data"]["hashes"].values())) == 1

    def test_the_cluster_is_whole_after_the_drills(self, drilled: dict[str, Any]) -> None:
        after = rows(drilled, "after the drills")
        assert len(after) >= 16
        assert all(c["ok"] for c in after)


def api_servers_restart_losing_nothing(
    drilled: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """A graceful stop and a rolling restart of the API servers lose no request."""
    (graceful,) = rows(drilled, "stop kube-apiserver")
    (rolling,) = rows(drilled, "rolling restart of every kube-apiserver")
    assert graceful["data"]["requests"] > 100
    assert graceful["data"]["failures"] == 0
    assert rolling["data"]["failures"] == 0
    assert rolling["data"]["longest_gap_seconds"] < 1.0
    figure(
        request,
        f"rolling API server restart ({rolling['data']['engine']}): "
        f"{rolling['data']['failures']} of {rolling['data']['requests']} failed, "
        f"longest gap {rolling['data']['longest_gap_seconds']:.2f}s; one stopped by hand: "
        f"longest gap {graceful['data']['longest_gap_seconds']:.2f}s, "
        f"{graceful['data']['retried']} sent again after a lost connection",
    )
