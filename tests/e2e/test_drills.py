"""``hatool verify --drills`` on a freshly deployed lab: every drill holds its bound.

The takeover bound is the contract of client-go's leader election (see
``Timings.takeover_window``); it is asserted. Other figures are printed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.cli import main
from hatool.lab.plan import Lab
from tests.e2e.conftest import Deployment, host_outputs, kubectl, on_host
from tests.helpers import lab_down, lab_up

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]


@pytest.fixture(scope="module", params=["stacked", "external"])
def drilled(
    request: pytest.FixtureRequest, lab_state: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Lab, dict]]:
    name = f"t-{os.getpid()}-d{request.param[0]}"
    deployment = Deployment(lab_up(name, "--topology", request.param), "hatool deploy")
    assert deployment.run().returncode == 0
    out = tmp_path_factory.mktemp("drills") / "verify.json"
    code = main(["verify", str(deployment.inventory), "--drills", "--json", str(out)])
    report = json.loads(out.read_text())
    report["exit_code"] = code
    yield deployment.lab, report
    lab_down(name)


def rows(report: dict, text: str) -> list[dict]:
    return [c for c in report["checks"] if text in c["name"]]


def test_every_check_and_drill_holds(drilled: tuple[Lab, dict]) -> None:
    _, report = drilled
    failed = [f"{c['name']}: {c['detail']}" for c in report["checks"] if not c["ok"]]
    assert failed == []
    assert report["exit_code"] == 0


@pytest.mark.parametrize("component", ["kube-controller-manager", "kube-scheduler"])
def test_a_killed_leader_is_replaced_within_the_lease_window(
    drilled: tuple[Lab, dict], component: str
) -> None:
    _, report = drilled
    (row,) = rows(report, f"SIGKILL the leading {component}")
    data = row["data"]
    low, high = data["window_seconds"]
    assert (low, high) == (13.0, pytest.approx(23.8))
    assert (
        low - data["slack_seconds"] / 2 <= data["takeover_seconds"] <= high + data["slack_seconds"]
    )
    assert data["to"] != data["from"]
    assert data["lease_transitions_delta"] == 1
    print(f"\nbenchmark: {component} takeover after SIGKILL {data['takeover_seconds']:.2f}s")


def test_a_graceful_api_server_stop_loses_no_request(drilled: tuple[Lab, dict]) -> None:
    _, report = drilled
    (graceful,) = rows(report, "stop kube-apiserver")
    (killed,) = rows(report, "SIGKILL kube-apiserver")
    assert graceful["data"]["requests"] > 100
    assert graceful["data"]["failures"] == 0
    print(
        f"\nbenchmark: requests failed: graceful stop {graceful['data']['failures']}, SIGKILL {killed['data']['failures']}"
    )


def test_etcd_keeps_its_data_through_member_loss(drilled: tuple[Lab, dict]) -> None:
    _, report = drilled
    (hashkv,) = rows(report, "hashkv")
    assert len(hashkv["data"]["hashes"]) == 3
    assert len(set(hashkv["data"]["hashes"].values())) == 1


def test_the_cluster_is_whole_after_the_drills(drilled: tuple[Lab, dict]) -> None:
    lab, report = drilled
    after = rows(report, "after the drills")
    assert len(after) == 17
    assert all(c["ok"] for c in after)
    assert all(h.connected() and h.state() == "running" for h in lab.controls())


# -- verify catches a cluster broken on purpose, naming the host and the cause ----------
# Each test breaks one thing on a standby master, checks the failing row, and
# repairs it; they run last, on the drilled lab.


def verify_rows(lab: Lab, tmp_path: Path) -> tuple[int, list[dict]]:
    out = tmp_path / "verify.json"
    code = main(["verify", str(lab.inventory_path), "--json", str(out)])
    return code, json.loads(out.read_text())["checks"]


def failing(rows_: list[dict]) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in rows_ if not c["ok"]}


def standby(lab: Lab, lease: str) -> str:
    """A master that does not hold ``lease`` (so breaking it leaves the leader alone)."""
    held = kubectl(lab.inventory_path.parent / ".hatool" / "hatool" / "admin.conf",
                   "-n", "kube-system", "get", "lease", lease,
                   "-o", "jsonpath={.spec.holderIdentity}")  # fmt: skip
    holder = held.stdout.rsplit("_", 1)[0]
    names = host_outputs(on_host(lab.inventory_path, "control_plane", "hostname"))
    return next(h for h, hostname in sorted(names.items()) if hostname != holder)


def until_healthy(lab: Lab, tmp_path: Path) -> None:
    deadline = time.monotonic() + 90
    while (code := verify_rows(lab, tmp_path)[0]) != 0 and time.monotonic() < deadline:
        time.sleep(3)
    assert code == 0


@pytest.fixture
def stacked_lab(drilled: tuple[Lab, dict]) -> Lab:
    lab, _ = drilled
    if lab.topology != "stacked":
        pytest.skip("one lab is enough to show that verify catches breakage")
    return lab


def test_a_stopped_standby_is_caught(stacked_lab: Lab, tmp_path: Path) -> None:
    host = standby(stacked_lab, "kube-scheduler")
    assert (
        on_host(stacked_lab.inventory_path, host, "systemctl stop kube-scheduler").returncode == 0
    )
    try:
        code, seen = verify_rows(stacked_lab, tmp_path)
    finally:
        on_host(stacked_lab.inventory_path, host, "systemctl start kube-scheduler")
    assert code == 1
    assert failing(seen) == {"kube-scheduler: leader and standbys active": f"{host}: inactive"}
    until_healthy(stacked_lab, tmp_path)


UNIT = "/etc/systemd/system/kube-controller-manager.service"


def test_leader_election_turned_off_on_one_master_is_caught(
    stacked_lab: Lab, tmp_path: Path
) -> None:
    host = standby(stacked_lab, "kube-controller-manager")
    edit = f"sed -i 's/--leader-elect=true/--leader-elect=false/' {UNIT}"
    undo = f"sed -i 's/--leader-elect=false/--leader-elect=true/' {UNIT}"
    restart = "systemctl daemon-reload && systemctl restart kube-controller-manager"
    assert on_host(stacked_lab.inventory_path, host, f"{edit} && {restart}").returncode == 0
    try:
        code, seen = verify_rows(stacked_lab, tmp_path)
    finally:
        on_host(stacked_lab.inventory_path, host, f"{undo} && {restart}")
    assert code == 1
    assert failing(seen) == {
        "kube-controller-manager: leader election on, with the configured timings":
            f"{host}: --leader-elect=false",
    }  # fmt: skip
    until_healthy(stacked_lab, tmp_path)


def test_a_missing_etcd_member_is_caught(stacked_lab: Lab, tmp_path: Path) -> None:
    host = "master-3"
    address = stacked_lab.host(host).address
    assert on_host(stacked_lab.inventory_path, host, "systemctl stop etcd").returncode == 0
    try:
        code, seen = verify_rows(stacked_lab, tmp_path)
    finally:
        on_host(stacked_lab.inventory_path, host, "systemctl start etcd")
    assert code == 1
    assert f"not healthy: {host} (https://{address}:2379)" in failing(seen)["every member healthy"]
    until_healthy(stacked_lab, tmp_path)
