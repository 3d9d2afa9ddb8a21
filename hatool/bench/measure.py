"""Timing whole processes as operators run them: wall and CPU seconds of each run.

A command's CPU time (user + system, from the kernel's accounting of the
finished child) depends much less on what else the machine runs than its
wall time; the report gives both.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from hatool import __version__
from hatool.ansible import ansible_env, tool
from hatool.bench.inventories import write_inventory

#: ``hatool deploy`` prints where it kept the run's timings.
TIMINGS_LINE = re.compile(r"^timings: (\S+\.timings\.json)$", re.M)


def hatool_argv(*args: str) -> list[str]:
    """``hatool ARGS`` with this Python (so the same checkout runs)."""
    return [sys.executable, "-m", "hatool", *args]


@dataclass(frozen=True)
class Timed:
    """One finished process: wall and CPU seconds, exit code, and what it printed."""

    wall: float
    cpu: float
    returncode: int
    output: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall": round(self.wall, 4),
            "cpu": round(self.cpu, 4),
            "returncode": self.returncode,
        }


def run_timed(
    argv: Sequence[str], *, keep_output: bool = False, env: dict[str, str] | None = None
) -> Timed:
    """Run ``argv`` once; its wall time and the CPU time its process tree used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
        env=env, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, done.returncode, done.stdout if keep_output else "")


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max of the wall and CPU seconds of ``runs``."""
    walls = [float(r["wall"]) for r in runs]
    cpus = [float(r["cpu"]) for r in runs]
    return {
        "runs": len(runs),
        "wall": median(walls), "wall_min": min(walls, default=None),
        "wall_max": max(walls, default=None), "cpu": median(cpus),
    }  # fmt: skip


def startup(runs: int) -> dict[str, dict[str, Any]]:
    """``hatool --help`` and ``hatool validate --help``, after one warm-up run each."""
    commands = {"hatool --help": ["--help"], "hatool validate --help": ["validate", "--help"]}
    results: dict[str, dict[str, Any]] = {}
    for name, args in commands.items():
        run_timed(hatool_argv(*args))
        timed = [run_timed(hatool_argv(*args)).as_dict() for _ in range(runs)]
        results[name] = {"samples": timed, **summary(timed)}
    return results


def validation(folder: Path, sizes: Sequence[int], runs: int) -> dict[str, dict[str, Any]]:
    """``hatool validate`` against ``ansible-inventory --list`` on generated inventories.

    The two alternate run by run (A B A B), so that a change in the machine's
    speed hits both alike.
    """
    results: dict[str, dict[str, Any]] = {}
    for size in sizes:
        path = write_inventory(folder / f"hosts-{size}.yml", size)
        commands = {
            "hatool": hatool_argv("validate", str(path)),
            "ansible_inventory": [tool("ansible-inventory"), "-i", str(path), "--list"],
        }
        env = ansible_env()
        for argv in commands.values():
            run_timed(argv, env=env)  # warm-up: the files are in the page cache
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, argv in commands.items():
                samples[name].append(run_timed(argv, env=env).as_dict())
        results[str(size)] = {name: {"samples": s, **summary(s)} for name, s in samples.items()}
    return results


def deploy(inventory: Path, *extra: str, log: Path | None = None) -> dict[str, Any]:
    """``hatool deploy INVENTORY [EXTRA]``: its time and the timings its events callback kept."""
    timed = run_timed(hatool_argv("deploy", str(inventory), *extra), keep_output=True)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(timed.output, encoding="utf-8")
    found = TIMINGS_LINE.findall(timed.output)
    timings = json.loads(Path(found[-1]).read_text(encoding="utf-8")) if found else None
    return {
        **timed.as_dict(),
        "seconds": round(timed.wall, 3),
        "timings": timings,
        "changed": sum(h.get("changed", 0) for h in (timings or {}).get("hosts", {}).values()),
        "failed": sum(h.get("failed", 0) for h in (timings or {}).get("hosts", {}).values()),
        "output_tail": timed.output[-3000:] if timed.returncode else "",
    }


def drills(inventory: Path, out: Path) -> dict[str, Any]:
    """``hatool verify INVENTORY --drills --json OUT``: the report and how long it took."""
    timed = run_timed(hatool_argv("verify", str(inventory), "--drills", "--json", str(out)),
                      keep_output=True)  # fmt: skip
    report: dict[str, Any] = (
        json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"checks": []}
    )
    return {**report, "returncode": timed.returncode, "seconds": round(timed.wall, 1)}


def machine() -> dict[str, Any]:
    """Cores, memory, load and kernel of this machine."""
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    uname = os.uname()
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "kernel": f"{uname.sysname} {uname.release}",
        "arch": uname.machine,
    }


def versions() -> dict[str, str]:
    """hatool, Python, ansible-core, matplotlib (and the cluster's, added by the run)."""
    found = {"hatool": __version__, "python": sys.version.split()[0]}
    for package in ("ansible-core", "matplotlib"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found
