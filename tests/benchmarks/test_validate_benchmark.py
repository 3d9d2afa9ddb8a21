"""How long validation of a 1,000-host inventory takes: printed, not asserted."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hatool.bench.inventories import write_inventory
from hatool.inventory.load import load
from hatool.inventory.rules import check


@pytest.mark.benchmark
def test_validate_1000_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = write_inventory(tmp_path / "hosts.yml", 1000)
    began = time.perf_counter()
    model = load(str(inventory))
    loaded = time.perf_counter()
    findings = check(model)
    done = time.perf_counter()
    assert len(model.groups["all"]) == 1000
    assert {f.rule for f in findings} == {"group-unknown"}
    with capsys.disabled():
        print(
            f"\nbenchmark: validate 1000 hosts: load (Ansible InventoryManager) "
            f"{loaded - began:.3f}s, rules {done - loaded:.3f}s, total {done - began:.3f}s"
        )
