"""Filter plugin: the cluster fact once a master is gone (playbooks/remove-master.yml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hatool.cluster.model import Cluster

DOCUMENTATION = r"""
name: hatool_without_master
short_description: The resolved cluster (the fact C(hatool)) without one master
description:
  - C(hatool.cluster.model.Cluster.without_master), so that the load balancers are
    rendered without the master before the inventory is edited.
positional: _input, master
options:
  _input: {description: the fact C(hatool), type: dict, required: true}
  master: {description: the master to leave out, type: str, required: true}
"""

EXAMPLES = r"""
- name: Render the load balancers without master-3
  ansible.builtin.include_role:
    name: loadbalancer
    tasks_from: configure.yml
  vars:
    hatool: "{{ cluster_without_master }}"
"""

RETURN = r"""
_value: {description: the cluster fact without the master, type: dict}
"""


def hatool_without_master(fact: Any, master: Any) -> dict[str, Any]:
    return Cluster.from_fact(dict(fact)).without_master(str(master)).to_fact()


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"hatool_without_master": hatool_without_master}
