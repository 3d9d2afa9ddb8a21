"""How long validation of a 1,000-host inventory takes: printed, not asserted."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from hatool.inventory.load import load
from hatool.inventory.rules import check


def _inventory(path: Path, hosts: int) -> None:
    def block(prefix: str, start: int, count: int) -> dict[str, dict[str, str]]:
        return {
            f"{prefix}-{i}": {
                "ansible_host": f"127.{(start + i) // 65536 % 256}.{(start + i) // 256 % 256}.{(start + i) % 256}"
            }
            for i in range(count)
        }

    lbs = 10
    masters = 5
    etcd = 5
    others = hosts - lbs - masters - etcd
    data = {
        "all": {
            "vars": {"etcd_topology": "external", "kube_version": "v1.31.4"},
            "children": {
                "control_plane": {"hosts": block("master", 1, masters)},
                "etcd": {"hosts": block("etcd", 100, etcd)},
                "loadbalancer": {"hosts": block("lb", 200, lbs)},
                "workers": {"hosts": block("worker", 1000, others)},
            },
        }
    }
    path.write_text(yaml.safe_dump(data))


@pytest.mark.benchmark
def test_validate_1000_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "hosts.yml"
    _inventory(inventory, 1000)
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
