"""A smoke run of ``hatool bench`` (one run, no drills, 3 masters only): the command keeps
working and writes its report and plots. A benchmark's figures are printed, never asserted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hatool.bench import cpu
from hatool.cli import main
from tests.helpers.e2e_checks import figure

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_quick_bench_writes_its_report_and_plots(
    lab_state: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "bench"
    name = os.environ.get("HATOOL_BENCH_TEST_LAB", f"t-{os.getpid()}-bn")
    code = main(["bench", "--lab", name, "--runs", "1", "--no-drills", "--quick",
                 "--out", str(out)])  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert results["errors"] == []
    assert code == 0
    deploys = results["deploys"]
    assert [len(deploys[k]) for k in ("cold", "rerun", "check")] == [1, 1, 1]
    assert all(deploys[k][0]["returncode"] == 0 for k in ("cold", "rerun", "check"))
    assert deploys["cold"][0]["changed"] > 0
    assert {p["label"] for p in deploys["cold"][0]["timings"]["phases"]} >= {"etcd", "apiserver"}
    # where the CPU went: every host's container measured, each service of a master started
    cold_cpu = deploys["cold"][0]["hosts_cpu"]
    assert set(cold_cpu["hosts"]) == {"master-1", "master-2", "master-3", "lb-1"}
    assert all(h["total"] > 0 for h in cold_cpu["hosts"].values())
    assert set(cold_cpu["hosts"]["master-2"]["services"]) == {
        "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"
    }  # fmt: skip
    assert 0 < cold_cpu["services"] < cold_cpu["hosts_total"]
    # and how long some task waited for a core, where the kernel keeps that figure
    if cpu.pressure_seconds() is not None:
        assert 0 <= deploys["cold"][0]["cpu_waited"] <= deploys["cold"][0]["seconds"] + 1
    assert set(results["validate"]) == {"10", "100", "1000"}
    report = (out / "report.md").read_text()
    assert "## Ratios (issue 13)" in report
    assert "| no-change re-run / cold deploy |" in report
    assert (out / "phases.png").read_bytes().startswith(PNG)
    assert "](phases.png)" in report
    assert "## Where the CPU goes" in report
    assert not (Path(lab_state) / "labs" / name).exists()  # the lab is gone
    for kind in ("cold", "rerun", "check"):
        used = deploys[kind][0]["hosts_cpu"]
        figure(request, f"bench {kind}: {deploys[kind][0]['seconds']:.1f}s; CPU: controller "
                        f"{deploys[kind][0]['cpu']:.1f}s, services {used['services']:.1f}s, "
                        f"tasks on hosts {used['tasks_on_hosts']:.1f}s; some task waited for a "
                        f"core {deploys[kind][0]['cpu_waited']}s")  # fmt: skip
    for line in report.split("## Ratios (issue 13)", 1)[1].split("## Figures")[0].splitlines():
        if line.startswith("| ") and not line.startswith("| ratio"):
            figure(request, line)
