"""The whole benchmark, step by step, on fresh labs; every figure into ``DIR/results.json``.

Steps: start-up of the CLI; validation of generated inventories; a fresh
3-master lab: cold deploy, no-change re-runs, ``--check`` runs, the floor; a
fresh 5-master lab: cold deploy, a re-run, the floor; a fresh 3-master lab
again: a second cold deploy, then ``hatool verify --drills``. The two 3-master
cold deploys bracket the 5-master one in time: a shared machine's speed drifts
over minutes (the same deploy's CPU seconds by a fifth between two benchmarks
of one morning), and the ratio of 5 to 3 masters compares the 5-master deploy
with the mean of one before and one after it. ``--quick`` keeps the first
lab (without the floor, with the drills) and nothing of the others. One lab is
up at a time, and each is removed at the end of its step, also when the step
fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from hatool.bench import cpu, floor, measure
from hatool.errors import HatoolError
from hatool.inventory.validate import valid_cluster
from hatool.lab import lifecycle
from hatool.lab.hosts import LabHostControl
from hatool.lab.plan import state_file
from hatool.progress import Progress

SIZES = (10, 100, 1000)


@dataclass(frozen=True)
class Options:
    out: Path
    lab: str = "bench"
    runs: int = 3
    drills: bool = True
    quick: bool = False
    #: load balancers in each lab (2 brings a virtual IP and its drills)
    lbs: int = 1
    validate_runs: int = 5


class Bench:
    """Runs the steps and keeps every result in ``results`` (saved after each step)."""

    def __init__(self, options: Options, progress: Progress | None = None) -> None:
        self.options = options
        self.progress = progress or Progress()
        #: the hosts of the lab that is up, whose CPU each deploy reads before and after
        self._hosts: list[LabHostControl] = []
        self.results: dict[str, Any] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": measure.machine(),
            "versions": measure.versions(),
            "options": {
                "runs": options.runs,
                "drills": options.drills,
                "quick": options.quick,
                "lab": options.lab,
                "lbs": options.lbs,
            },
            "deploys": {},
            "floor": [],
            "drills": [],
            "errors": [],
        }

    @property
    def path(self) -> Path:
        return self.options.out / "results.json"

    def save(self) -> None:
        self.options.out.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.results, indent=1, default=str) + "\n")

    def step(self, name: str, work: Callable[[], object]) -> None:
        """Run one step; a failure is recorded (and the next steps still run)."""
        try:
            with self.progress.step(name):
                work()
        except (HatoolError, OSError, RuntimeError, ValueError) as exc:
            self.results["errors"].append(f"{name}: {exc}")
        self.save()

    @contextmanager
    def lab(self, name: str, masters: int) -> Iterator[Path]:
        """A fresh lab of ``masters`` masters, removed afterwards; its inventory."""
        if state_file(name).exists():
            with self.progress.step(
                f"remove the earlier lab {name} (a benchmark needs a fresh one)"
            ):
                lifecycle.down(name, self.progress)
        with self.progress.step(f"bring up lab {name}: {masters} masters, {self.options.lbs} lb"):
            lab = lifecycle.up(name, masters=masters, lbs=self.options.lbs, progress=self.progress)
        self._hosts = lab.controls()
        try:
            yield lab.inventory_path
        finally:
            self._hosts = []
            with self.progress.step(f"remove lab {name}"):
                lifecycle.down(name, self.progress)

    def _deploy(self, key: str, inventory: Path, *extra: str) -> dict[str, Any]:
        runs = self.results["deploys"].setdefault(key, [])
        log = self.options.out / "logs" / f"{key}-{len(runs) + 1}.txt"
        before, stalled = cpu.snapshot(self._hosts), cpu.pressure_seconds()
        done = measure.deploy(inventory, *extra, log=log)
        done["cpu_waited"] = cpu.waited(stalled, cpu.pressure_seconds())
        done["hosts_cpu"] = cpu.difference(before, cpu.snapshot(self._hosts))
        runs.append(done)
        self.save()
        state = "ok" if done["returncode"] == 0 else f"FAILED (exit {done['returncode']})"
        self.progress.say(f"{key}: {done['seconds']:.1f}s, {done['changed']} changed, {state}")
        if done["returncode"] != 0:
            raise RuntimeError(f"hatool deploy {' '.join(extra)} failed; see {log}")
        return done

    # -- the steps -------------------------------------------------------------------------

    def startup(self) -> None:
        self.results["startup"] = measure.startup(self.options.validate_runs)

    def validation(self) -> None:
        runs = 2 if self.options.quick else self.options.validate_runs
        self.results["validate"] = measure.validation(self.options.out / "inventories", SIZES, runs)

    def three_masters(self) -> None:
        runs = self.options.runs
        with self.lab(self.options.lab, 3) as inventory:
            self._versions(inventory)
            self.step("cold deploy (3 masters)", lambda: self._deploy("cold", inventory))
            for _ in range(runs):
                self.step("no-change re-run", lambda: self._deploy("rerun", inventory))
            for _ in range(runs):
                self.step("--check run", lambda: self._deploy("check", inventory, "--check"))
            if self.options.quick:
                self._all_drills(inventory)
                return
            for _ in range(runs):
                self.step("the floor", lambda: self._floor(inventory))

    def three_masters_again(self) -> None:
        """The cold deploy after the 5-master one (see the module's text), then the drills."""
        with self.lab(self.options.lab, 3) as inventory:
            self.step("cold deploy (3 masters, after 5)", lambda: self._deploy("cold", inventory))
            self._all_drills(inventory)

    def _all_drills(self, inventory: Path) -> None:
        if not self.options.drills:
            return
        runs = self.options.runs
        for n in range(1, runs + 1):
            self.step(
                f"hatool verify --drills ({n} of {runs})", partial(self._drills, inventory, n)
            )

    def five_masters(self) -> None:
        with self.lab(f"{self.options.lab}-5", 5) as inventory:
            self.step("cold deploy (5 masters)", lambda: self._deploy("cold5", inventory))
            self.step("no-change re-run (5 masters)", lambda: self._deploy("rerun5", inventory))
            for _ in range(self.options.runs):
                self.step("the floor (5 masters)", lambda: self._floor(inventory, "floor5"))

    def _floor(self, inventory: Path, key: str = "floor") -> None:
        done = floor.measure(inventory)
        self.results.setdefault(key, []).append(done)
        self.progress.say(f"floor: {done['seconds']:.1f}s ({'ok' if done['ok'] else 'NOT ok'})")
        if not done["ok"]:
            raise RuntimeError(f"the cluster did not come back after the floor: {done}")

    def _drills(self, inventory: Path, n: int) -> None:
        report = measure.drills(inventory, self.options.out / f"verify-drills-{n}.json")
        self.results["drills"].append(report)
        failed = [c["name"] for c in report.get("checks", []) if not c.get("ok")]
        self.progress.say(f"drills {n}: {report['seconds']:.0f}s, {len(failed)} failed")

    def _versions(self, inventory: Path) -> None:
        _, cluster = valid_cluster(str(inventory), "the lab's inventory is invalid", None)
        self.results["versions"]["kubernetes"] = cluster.kube_version
        self.results["versions"]["etcd"] = cluster.etcd.version
        self.results["cluster"] = {
            "topology": cluster.topology,
            "masters": len(cluster.masters),
            "loadbalancers": len(cluster.loadbalancers.hosts),
        }

    def run(self) -> dict[str, Any]:
        self.save()
        self.step("start-up of hatool --help and hatool validate --help", self.startup)
        self.step("validation of 10, 100 and 1,000 hosts", self.validation)
        self.step("3 masters", self.three_masters)
        if not self.options.quick:
            self.step("5 masters", self.five_masters)
            self.step("3 masters again", self.three_masters_again)
        self.results["machine"]["load_average_end"] = measure.machine()["load_average"]
        self.save()
        return self.results
