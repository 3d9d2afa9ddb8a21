"""Filter plugin: the etcd leader's name and the members' IDs, from ``endpoint status -w json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hatool.cluster.leader import leader_of

DOCUMENTATION = r"""
name: hatool_etcd_leader
short_description: The etcd leader's name and every member's ID, from etcdctl endpoint status
description:
  - C(hatool.cluster.leader.leader_of); the etcd role restarts the leader last.
positional: _input, client_url_of
options:
  _input: {description: the output of C(etcdctl endpoint status -w json), type: str, required: true}
  client_url_of:
    description: member name -> client URL (C(hatool.etcd.client_url_of))
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Name the leader
  ansible.builtin.debug:
    msg: "{{ (status.stdout | hatool_etcd_leader(hatool.etcd.client_url_of)).name }}"
"""

RETURN = r"""
_value:
  description: C(name), the leader (empty if none answered), and C(ids), member name -> hex ID
  type: dict
"""


def hatool_etcd_leader(status: Any, client_url_of: Any) -> dict[str, Any]:
    return leader_of(status if isinstance(status, list) else str(status), dict(client_url_of))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"hatool_etcd_leader": hatool_etcd_leader}
