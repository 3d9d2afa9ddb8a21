"""Filter plugin: why etcd cannot go from the running release to etcd_version in one step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hatool.versions import etcd_upgrade_problem

DOCUMENTATION = r"""
name: hatool_etcd_upgrade_problem
short_description: Why etcd cannot go from the running release to another in place (empty if it can)
description:
  - etcd upgrades one minor at a time and never goes back a minor in place
    (C(hatool.versions.etcd_upgrade_problem)).
positional: _input, wanted
options:
  _input: {description: the running release (etcd --version), type: str, required: true}
  wanted: {description: the release to run (v3.5.16), type: str, required: true}
"""

EXAMPLES = r"""
- name: Refuse to skip a minor version
  ansible.builtin.assert:
    that: not ('3.4.23' | hatool_etcd_upgrade_problem('v3.6.5'))
"""

RETURN = r"""
_value: {description: the reason, or an empty string, type: str}
"""


def hatool_etcd_upgrade_problem(running: Any, wanted: Any) -> str:
    return etcd_upgrade_problem(str(running), str(wanted)) or ""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"hatool_etcd_upgrade_problem": hatool_etcd_upgrade_problem}
