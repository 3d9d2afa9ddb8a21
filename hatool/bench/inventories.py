"""Inventories of N hosts for timing validation: 5 masters, 5 etcd members, 10 load balancers
(3, 3 and 2 below 20 hosts) and the rest in a group hatool does not use (one
``group-unknown`` warning)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: (masters, etcd members, load balancers) from 20 hosts on, and below
LARGE = (5, 5, 10)
SMALL = (3, 3, 2)


def _block(prefix: str, start: int, count: int) -> dict[str, dict[str, str]]:
    def address(n: int) -> str:
        return f"127.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    return {f"{prefix}-{i}": {"ansible_host": address(start + i)} for i in range(count)}


def inventory(hosts: int) -> dict[str, Any]:
    """The inventory as data (YAML-shaped)."""
    masters, etcd, lbs = LARGE if hosts > sum(LARGE) else SMALL
    others = hosts - masters - etcd - lbs
    if others < 1:
        raise ValueError(f"{hosts} hosts: at least {sum(SMALL) + 1}")
    return {
        "all": {
            "vars": {"etcd_topology": "external", "kube_version": "v1.31.4"},
            "children": {
                "control_plane": {"hosts": _block("master", 1, masters)},
                "etcd": {"hosts": _block("etcd", 100, etcd)},
                "loadbalancer": {"hosts": _block("lb", 200, lbs)},
                "workers": {"hosts": _block("worker", 1000, others)},
            },
        }
    }


def write_inventory(path: Path, hosts: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(inventory(hosts)), encoding="utf-8")
    return path
