"""Where a deploy's CPU goes: the kernel's accounting of containers and services, read right."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatool.bench.cpu import (
    HostCpu,
    cgroup_seconds,
    difference,
    parse_cpu_stat,
    parse_pressure,
    parse_services,
    pressure_seconds,
    waited,
)

CPU_STAT = "usage_usec 12500000\nuser_usec 9000000\nsystem_usec 3500000\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cpu_stat() -> None:
    assert parse_cpu_stat(CPU_STAT) == pytest.approx(12.5)
    assert parse_cpu_stat("user_usec 1\n") is None


def test_a_cgroup_v2_beside_v1_hierarchies(tmp_path: Path) -> None:
    """Docker on a hybrid host: the v2 line names the container's unified cgroup."""
    write(tmp_path / "unified/docker/abc/cpu.stat", CPU_STAT)
    proc = "12:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n"
    assert cgroup_seconds(proc, [tmp_path / "unified", tmp_path]) == pytest.approx(12.5)


def test_a_pure_cgroup_v2_host(tmp_path: Path) -> None:
    write(tmp_path / "system.slice/docker-abc.scope/cpu.stat", CPU_STAT)
    proc = "0::/system.slice/docker-abc.scope\n"
    assert cgroup_seconds(proc, [tmp_path / "unified", tmp_path]) == pytest.approx(12.5)


def test_a_cgroup_v1_cpuacct(tmp_path: Path) -> None:
    write(tmp_path / "cpu,cpuacct/docker/abc/cpuacct.usage", "2500000000\n")
    proc = "4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n"
    assert cgroup_seconds(proc, [tmp_path]) == pytest.approx(2.5)


def test_a_root_cgroup_is_not_a_containers(tmp_path: Path) -> None:
    """Inside a cgroup namespace every path is '/': that figure would be the whole machine's."""
    write(tmp_path / "cpu.stat", CPU_STAT)
    assert cgroup_seconds("0::/\n", [tmp_path]) is None
    assert cgroup_seconds("0::/docker/missing\n", [tmp_path]) is None


def test_services_from_proc_stat_even_with_spaces_in_the_name() -> None:
    # a command name may hold spaces and parentheses: fields are counted after the last ')'
    rest = "S 1 2 3 4 5 6 7 8 9 10 {utime} {stime} 0 0 20 0 12 0 100 0 0"
    text = "\n".join([
        "etcd 41 41 (etcd) " + rest.format(utime=150, stime=50),
        "kube-apiserver 52 52 (kube (api) server) " + rest.format(utime=900, stime=100),
        "unknown 1 1 (x) " + rest.format(utime=1, stime=1),
        "CLK_TCK 100",
    ])  # fmt: skip
    assert parse_services(text) == {"etcd": (41, 2.0), "kube-apiserver": (52, 10.0)}


def test_this_processs_own_stat_reads_as_its_cpu_time() -> None:
    sum(i * i for i in range(300_000))  # some CPU, so that the figure is not 0
    stat = Path("/proc/self/stat").read_text()
    times = os.times()
    found = parse_services(f"etcd {os.getpid()} {stat}\nCLK_TCK {os.sysconf('SC_CLK_TCK')}\n")
    assert found["etcd"][1] == pytest.approx(times.user + times.system, abs=0.05)


def test_the_difference_per_host_and_in_all() -> None:
    before = {
        "master-1": HostCpu(10.0, {"etcd": (41, 3.0), "kube-apiserver": (52, 5.0)}),
        "lb-1": HostCpu(1.0, {}),
    }
    after = {
        # etcd grew; kube-apiserver restarted (a new process counts whole); kcm started
        "master-1": HostCpu(
            30.0,
            {"etcd": (41, 4.5), "kube-apiserver": (77, 6.0), "kube-controller-manager": (80, 1.5)},
        ),
        "lb-1": HostCpu(2.0, {"nginx": (9, 0.25)}),
    }
    found = difference(before, after)
    assert found["hosts"]["master-1"] == {
        "total": 20.0,
        "services": {"etcd": 1.5, "kube-apiserver": 6.0, "kube-controller-manager": 1.5},
    }
    assert found["hosts_total"] == 21.0
    assert found["services"] == 9.25
    assert found["tasks_on_hosts"] == 11.75
    assert found["by_service"]["kube-apiserver"] == 6.0


def test_an_unreadable_host_leaves_the_totals_unknown() -> None:
    found = difference({"m": HostCpu(None, {})}, {"m": HostCpu(5.0, {"etcd": (1, 1.0)})})
    assert found["hosts_total"] is None
    assert found["tasks_on_hosts"] is None
    assert found["services"] == 1.0


PRESSURE = (
    "some avg10=41.20 avg60=12.00 avg300=3.10 total=21077857651\n"
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=5000000\n"
)


def test_cpu_pressure_is_the_some_line_total() -> None:
    """``some``: at least one task waited; ``full`` (all tasks stalled) is another figure."""
    assert parse_pressure(PRESSURE) == pytest.approx(21077.857651)
    assert parse_pressure("full avg10=0.00 total=5000000\n") is None
    assert parse_pressure("") is None


def test_cpu_pressure_read_from_a_file_or_none(tmp_path: Path) -> None:
    write(tmp_path / "cpu", PRESSURE)
    assert pressure_seconds(tmp_path / "cpu") == pytest.approx(21077.857651)
    assert pressure_seconds(tmp_path / "missing") is None
    assert waited(10.0, 12.345) == pytest.approx(2.35)
    assert waited(None, 12.0) is None
    assert waited(10.0, None) is None


@pytest.mark.skipif(pressure_seconds() is None, reason="this kernel keeps no CPU pressure figures")
def test_this_machines_cpu_pressure_grows_while_tasks_compete() -> None:
    """More busy processes than cores: some of them wait, and the kernel counts it."""
    before = pressure_seconds()
    assert before is not None
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<0.6: pass"]
        )
        for _ in range((os.cpu_count() or 1) + 2)
    ]
    for worker in workers:
        worker.wait()
    grown = waited(before, pressure_seconds())
    assert grown is not None
    assert grown > 0.05
