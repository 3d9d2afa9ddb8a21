"""A smoke run of ``hatool bench`` (one run, no drills, 3 masters only): the command keeps
working and writes its report and plots. A benchmark's figures are printed, never asserted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

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
    assert set(results["validate"]) == {"10", "100", "1000"}
    report = (out / "report.md").read_text()
    assert "## Ratios (issue 13)" in report
    assert "| no-change re-run / cold deploy |" in report
    assert (out / "phases.png").read_bytes().startswith(PNG)
    assert "](phases.png)" in report
    assert not (Path(lab_state) / "labs" / name).exists()  # the lab is gone
    for kind in ("cold", "rerun", "check"):
        figure(request, f"bench {kind}: {deploys[kind][0]['seconds']:.1f}s")
    for line in report.split("## Ratios (issue 13)", 1)[1].split("## Figures")[0].splitlines():
        if line.startswith("| ") and not line.startswith("| ratio"):
            figure(request, line)
