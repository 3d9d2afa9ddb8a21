"""``hatool verify --drills`` on a freshly deployed lab: every drill holds its bound.

The takeover bound is the contract of client-go's leader election (see
``Timings.takeover_window``); it is asserted. Other figures are printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.cli import main
from hatool.lab.lab import Lab
from tests.e2e.conftest import Deployment
from tests.helpers import lab_down, lab_up

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]


@pytest.fixture(scope="module")
def drilled(
    lab_state: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Lab, dict]]:
    name = f"t-{os.getpid()}-dr"
    deployment = Deployment(lab_up(name), "hatool deploy")
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
    assert len(after) >= 14
    assert all(c["ok"] for c in after)
    assert all(h.connected() and h.state() == "running" for h in lab.hosts)
