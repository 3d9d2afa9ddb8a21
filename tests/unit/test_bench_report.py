"""The benchmark report from canned results: ratios, tables, and PNG plots a person can read."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from hatool.bench.drills import longest_gap, stream_rows, takeovers
from hatool.bench.figures import STARTUP, median_phases
from hatool.bench.inventories import inventory, write_inventory
from hatool.bench.measure import summary
from hatool.bench.ratios import ratios
from hatool.bench.report import write_report
from hatool.bench.run import Bench, Options
from hatool.inventory.validate import validate_path
from hatool.paths import PROJECT_ROOT
from hatool.progress import Progress

PNG = b"\x89PNG\r\n\x1a\n"


def timings(phases: dict[str, float]) -> dict[str, Any]:
    return {
        "total_seconds": sum(phases.values()),
        "phases": [{"label": k, "name": k, "seconds": v, "changed": 0, "hosts": {}}
                   for k, v in phases.items()],
        "roles": [{"role": "etcd", "seconds": phases.get("etcd", 0.0), "tasks": 3}],
        "tasks": [{"name": "Install etcd", "role": "etcd", "path": "roles/etcd/tasks/main.yml:1",
                   "phase": "etcd", "seconds": 5.0, "handler": False, "slowest_host_seconds": 4.0}],
        "hosts": {"master-1": {"ok": 10, "changed": 3, "failed": 0}},
    }  # fmt: skip


def deploy(
    seconds: float,
    phases: dict[str, float],
    returncode: int = 0,
    services: float | None = None,
    waited: float | None = None,
) -> dict[str, Any]:
    """One deploy; with ``services``, the hosts' CPU: those seconds, and half as much besides;
    ``waited``: the seconds some task waited for a core."""
    hosts_cpu = (
        {"hosts_total": services * 1.5, "services": services, "tasks_on_hosts": services * 0.5}
        if services is not None
        else {"hosts_total": None, "services": 0.0, "tasks_on_hosts": None}
    )
    return {"seconds": seconds, "wall": seconds, "cpu": 9.0, "returncode": returncode,
            "timings": timings(phases), "changed": 3, "failed": 0,
            "hosts_cpu": hosts_cpu, "cpu_waited": waited}  # fmt: skip


def timed(*walls: float, cpu: float = 0.5) -> dict[str, Any]:
    samples = [{"wall": w, "cpu": cpu, "returncode": 0} for w in walls]
    return {"samples": samples, **summary(samples)}


def row(name: str, ok: bool, detail: str, **data: Any) -> dict[str, Any]:
    return {"area": "drill", "name": name, "ok": ok, "detail": detail, "data": data}


def timeline(gap_at: float) -> list[list[float]]:
    """Requests every 0.05 s for 10 s, none answered for 2 s from ``gap_at``, one failure."""
    points = []
    for i in range(200):
        t = i * 0.05
        if gap_at <= t < gap_at + 2.0:
            continue
        points.append([round(t, 3), 0.02, 1])
    points.append([gap_at + 0.5, 1.4, 0])
    return sorted(points)


VERIFY = {
    "inventory": "hosts.yml", "cluster": "hatool", "drills": True, "ok": False,
    "checks": [
        {"area": "api", "name": "/readyz via lb-1", "ok": True, "detail": "ok", "data": {}},
        row("SIGKILL the leading kube-controller-manager", True, "m2 -> m1 in 18.63s",
            component="kube-controller-manager", signal="SIGKILL", takeover_seconds=18.63,
            window_seconds=[13.0, 23.8], slack_seconds=1.0),
        row("SIGTERM the leading kube-scheduler", False, "m1 -> m3 in 25.9s",
            component="kube-scheduler", signal="SIGTERM", takeover_seconds=25.9,
            window_seconds=[13.0, 23.8], slack_seconds=1.0),
        row("planned restart of the leading kube-scheduler (standbys first, Lease released)", True,
            "leaderless 1.2s", component="kube-scheduler", leaderless_seconds=1.2,
            bound_seconds=4.8, slack_seconds=1.0),
        row("lose master master-2 (cut off the network): kube-scheduler moves to another master",
            True, "master-2 -> master-3 in 19.42s, expected at most 23.8s (+1s slack)",
            seconds=19.42),
        row("a new etcd leader is elected", True, "after 0.15s", seconds=0.15, bound_seconds=10.0),
        row("rolling restart of every kube-apiserver under load (nginx, drained first)", True,
            "0 of 400 requests failed, longest gap between successes 0.30s; expected 0 failed and "
            "no gap of 1s", requests=400, failures=0, longest_gap_seconds=2.0,
            timeline=timeline(3.0)),
        row("lose lb-1 on lb-1, which holds the virtual IP: clients of the virtual IP", True,
            "1 of 180 requests failed; expected a gap of at most 3.6s (+1s slack)", requests=180,
            failures=1, longest_gap_seconds=2.0, timeline=timeline(5.0)),
        row("endpoint hashkv equal on every member", True, "1 distinct hash", hashes={"a": 1}),
    ],
}  # fmt: skip

PHASES = {"validate": 0.3, "certs": 1.0, "etcd": 20.0, "apiserver": 30.0, "lb": 10.0,
          "kcm+sched": 25.0, "record": 2.0}  # fmt: skip


def canned() -> dict[str, Any]:
    rerun = {k: v / 5 for k, v in PHASES.items()}
    five = {k: v * 1.4 for k, v in PHASES.items()}
    return {
        "date": "2026-11-29 20:00 UTC",
        "machine": {"cores": 2, "memory_gib": 23.4, "load_average": [3.1, 2.0, 1.5],
                    "load_average_end": [2.0, 2.0, 1.8], "kernel": "Linux 6.1", "arch": "x86_64"},
        "versions": {"hatool": "0.1.0", "python": "3.11.7", "ansible-core": "2.19.14",
                     "matplotlib": "3.11", "kubernetes": "v1.20.2", "etcd": "v3.4.23"},
        "options": {"runs": 2, "drills": True, "quick": False, "lab": "bn", "lbs": 1},
        "deploys": {
            "cold": [deploy(100.0, PHASES, services=60.0, waited=30.0),
                     deploy(400.0, PHASES, returncode=2, services=900.0)],
            "rerun": [deploy(20.0, rerun), deploy(22.0, rerun)],
            "check": [deploy(25.0, rerun)],
            "cold5": [deploy(140.0, five, services=100.0)],
            "rerun5": [deploy(30.0, {k: v * 1.4 for k, v in rerun.items()})],
        },
        "floor": [{"ok": True, "seconds": 40.0}, {"ok": True, "seconds": 30.0},
                  {"ok": False, "seconds": 300.0}],
        "floor5": [{"ok": True, "seconds": 49.0}],
        "validate": {
            "10": {"hatool": timed(0.5, 0.6, 0.55), "ansible_inventory": timed(0.5)},
            "1000": {"hatool": timed(2.0, 2.2, 2.1, cpu=1.2),
                     "ansible_inventory": timed(2.0, 2.0, 2.0, cpu=1.3)},
        },
        "startup": {"hatool --help": timed(0.12, 0.1, 0.11, cpu=0.1),
                    "hatool validate --help": timed(0.35, cpu=0.3)},
        "drills": [VERIFY],
        "errors": [],
    }  # fmt: skip


def test_every_ratio_of_the_issue_with_its_target() -> None:
    found = {r.name: r for r in ratios(canned())}
    assert found["no-change re-run / cold deploy"].value == pytest.approx(21.0 / 100.0)
    assert found["no-change re-run / cold deploy"].met is True
    assert found["cold deploy / floor"].value == pytest.approx(
        100.0 / 35.0
    )  # failed floors left out
    assert found["5-master cold / 3-master cold"].value == pytest.approx(1.4)
    assert found["5-master cold / 3-master cold"].met is False
    assert found["validate 1,000 hosts / ansible-inventory --list"].value == pytest.approx(1.05)
    assert "CPU 0.92" in found["validate 1,000 hosts / ansible-inventory --list"].detail
    assert found["validate 1,000 hosts / 10 hosts"].value == pytest.approx(2.1 / 0.55)
    assert found["hatool --help (s)"].met is True
    assert found["hatool validate --help (s)"].met is False
    assert found["--check run / cold deploy"].met is None
    # controller 9 + services + half the services again; the failed cold deploy left out
    cpu = found["5-master cold / 3-master cold, CPU seconds"]
    assert cpu.value == pytest.approx((9 + 150) / (9 + 90))
    assert cpu.detail == (
        "159 / 99 CPU-s: controller 9 / 9, services 100 / 60, tasks on hosts 50 / 30"
    )
    assert cpu.verdict == "-"
    assert found["5-master floor / 3-master floor"].value == pytest.approx(49.0 / 35.0)
    assert found["5-master floor / 3-master floor"].verdict == "-"


def test_a_ratio_not_measured_says_so() -> None:
    results = canned()
    del results["deploys"]["cold5"]
    results["floor"] = []
    found = {r.name: r for r in ratios(results)}
    assert found["5-master cold / 3-master cold"].cells()[1:5:3] == ["n/a", "not measured"]
    assert found["cold deploy / floor"].met is None


def test_phases_add_up_to_the_wall_time_with_the_start_up_first() -> None:
    phases = median_phases(canned(), "cold")  # the failed cold run is left out
    assert next(iter(phases)) == STARTUP
    assert phases[STARTUP] == pytest.approx(100.0 - sum(PHASES.values()))
    assert sum(phases.values()) == pytest.approx(100.0)


def test_takeovers_carry_their_windows_and_bounds() -> None:
    found = {t.label: t for t in takeovers([VERIFY])}
    kill = found["kube-controller-manager: SIGKILL of the leader"]
    assert (kill.seconds, kill.low, kill.high, kill.slack, kill.ok) == (
        18.63,
        13.0,
        23.8,
        1.0,
        True,
    )
    assert found["kube-scheduler: SIGTERM of the leader"].ok is False
    assert found["kube-scheduler: planned restart of the leader"].high == 4.8
    lost = found["kube-scheduler: whole master lost"]
    assert (lost.low, lost.high) == (0.0, 23.8)  # the bound read from the row's detail
    assert found["etcd: new leader"].high == 10.0
    assert len(found) == 5


def test_stream_rows_and_their_longest_gap() -> None:
    rows = stream_rows(VERIFY)
    assert len(rows) == 2
    start, end = longest_gap(rows[0]["data"]["timeline"])
    assert start == pytest.approx(2.97)
    assert end == pytest.approx(5.02)
    assert longest_gap([]) == (0.0, 0.0)


def test_the_report_and_its_plots(tmp_path: Path) -> None:
    report = write_report(canned(), tmp_path)
    text = report.read_text()
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["masters.png", "phases.png", "takeovers.png", "timeline-1-1.png",
                    "timeline-1-2.png"]  # fmt: skip
    for name in pngs:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG), name
        assert 10_000 < len(data) < 400_000, name
        assert f"]({name})" in text  # each plot is shown in the report
    assert "2 cores, 23.4 GiB memory" in text
    assert "load average (1/5/15 min) 3.1/2.0/1.5 at the start" in text
    assert "ansible-core 2.19.14" in text
    assert "kubernetes v1.20.2" in text
    assert "2026-11-29" in text
    for line in ("| no-change re-run / cold deploy | 0.21 | <= 0.25 | 0.71 | yes |",
                 "| cold deploy / floor | 2.86 | <= 3 | 5.2 | yes |",
                 "| 5-master cold / 3-master cold | 1.40 | <= 1.3 | 1.71 | **no** |",
                 "| validate 1,000 hosts / ansible-inventory --list | 1.05 | <= 1.1 | 1.35 | yes |",
                 "| validate 1,000 hosts / 10 hosts | 3.82 | <= 20 |",
                 "| hatool --help (s) | 0.11 | < 0.3 | 1.45 | yes |",
                 "| hatool validate --help (s) | 0.35 | < 0.3 |"):  # fmt: skip
        assert line in text, line
    assert "| **total** | 100.0s | 21.0s | 25.0s | 140.0s |" in text
    assert "| 5.0s | etcd | Install etcd | 4.0s |" in text
    assert "| 1 | **FAIL** | SIGTERM the leading kube-scheduler |" in text
    # where the CPU goes: only the deploys whose hosts were measured, busy = total / (wall x 2)
    # and the share of the wall time some task waited for a core, where the kernel told
    assert "| cold deploy | 100.0s | 9.0s | 60.0s | 30.0s | 99.0s | 50% | 30% |" in text
    assert "| cold deploy, 5 masters | 140.0s | 9.0s | 100.0s | 50.0s | 159.0s | 57% |  |" in text
    assert "| no-change re-run | 20.0s" not in text.split("## Where the CPU goes")[1]


def test_the_report_of_a_quick_run_has_no_empty_plots(tmp_path: Path) -> None:
    results = canned()
    for kind in ("cold5", "rerun5"):
        del results["deploys"][kind]
    results["drills"] = []
    results["options"]["quick"] = True
    write_report(results, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["phases.png"]
    assert "(no drills)" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("hosts", [10, 100, 1000])
def test_generated_inventories_are_valid_with_the_hosts_asked_for(
    hosts: int, tmp_path: Path
) -> None:
    data = inventory(hosts)["all"]["children"]
    assert sum(len(g["hosts"]) for g in data.values()) == hosts
    model, findings = validate_path(str(write_inventory(tmp_path / "hosts.yml", hosts)))
    assert len(model.groups["all"]) == hosts
    assert {f.rule for f in findings} == {"group-unknown"}


def test_an_inventory_too_small_to_generate() -> None:
    with pytest.raises(ValueError, match="at least 9"):
        inventory(8)


def test_the_help_imports_neither_ansible_nor_matplotlib() -> None:
    code = (
        "import sys; from hatool.cli import build_parser; build_parser().format_help(); "
        "print(sorted(m for m in ('ansible', 'matplotlib', 'kubernetes', 'fabric', "
        "'cryptography', 'hatool.bench.report', 'hatool.playview.runner') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_the_5_master_deploy_against_the_3_master_ones_before_and_after_it() -> None:
    results = canned()
    results["deploys"]["cold"] = [deploy(100.0, PHASES), deploy(120.0, PHASES)]
    found = {r.name: r for r in ratios(results)}["5-master cold / 3-master cold"]
    assert found.value == pytest.approx(140.0 / 110.0)
    assert found.detail == "140.0s / 110.0s (3 masters before and after: 100.0s, 120.0s)"


def test_the_bench_brackets_the_5_master_deploy_with_3_master_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In time: a 3-master cold deploy, the 5-master one, another 3-master one; drills last."""
    steps: list[str] = []

    @contextmanager
    def lab(self: Bench, name: str, masters: int) -> Iterator[Path]:
        steps.append(f"lab {masters}")
        yield tmp_path / name

    monkeypatch.setattr(Bench, "lab", lab)
    monkeypatch.setattr(Bench, "_deploy", lambda self, key, inventory, *extra: steps.append(key))
    monkeypatch.setattr(Bench, "_floor", lambda self, inventory, key="floor": steps.append(key))
    monkeypatch.setattr(Bench, "_drills", lambda self, inventory, n: steps.append(f"drills {n}"))
    for name in ("_versions", "startup", "validation"):
        monkeypatch.setattr(Bench, name, lambda self, *args: None)
    Bench(Options(out=tmp_path, runs=2), Progress(stream=io.StringIO())).run()
    assert steps == [
        "lab 3", "cold", "rerun", "rerun", "check", "check", "floor", "floor",
        "lab 5", "cold5", "rerun5", "floor5", "floor5",
        "lab 3", "cold", "drills 1", "drills 2",
    ]  # fmt: skip
    steps.clear()
    Bench(Options(out=tmp_path, runs=1, quick=True), Progress(stream=io.StringIO())).run()
    assert steps == ["lab 3", "cold", "rerun", "check", "drills 1"]
