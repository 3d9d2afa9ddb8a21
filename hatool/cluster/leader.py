"""Which etcd member leads, from ``etcdctl endpoint status``: restarts keep it for last."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def leader_of(
    status: str | list[dict[str, Any]], client_url_of: Mapping[str, str]
) -> dict[str, Any]:
    """The leader's name and every answering member's ID (hex, as etcdctl takes it).

    ``status`` is ``endpoint status -w json`` (text or parsed); members are named
    by their client URL (``client_url_of``: name -> URL). With no answer, or no
    single leader, ``name`` is empty.
    """
    try:
        entries = json.loads(status) if isinstance(status, str) else status
    except ValueError:
        entries = []
    if not isinstance(entries, list):
        entries = []
    name_of = {url: name for name, url in client_url_of.items()}
    ids: dict[str, str] = {}
    leaders = set()
    for entry in entries:
        name = name_of.get(str(entry.get("Endpoint", "")))
        header = entry.get("Status", {}).get("header", {})
        if name is None or "member_id" not in header:
            continue
        ids[name] = f"{int(header['member_id']):x}"
        leaders.add(int(entry["Status"].get("leader", 0)))
    leader = next(iter(leaders)) if len(leaders) == 1 else 0
    names = [n for n, i in ids.items() if int(i, 16) == leader]
    return {"name": names[0] if names else "", "ids": ids}
