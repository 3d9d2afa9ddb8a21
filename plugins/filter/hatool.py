"""Filter plugins: hatool's Python rules, for the few judgements a playbook makes at run time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hatool.cluster.quorum import member_count_problem

DOCUMENTATION = r"""
name: hatool_member_count_problem
short_description: Why a number of etcd members is not a sound cluster (empty if it is)
description:
  - The same rule as validation's C(etcd-member-count): 3, 5, 7... members are sound.
positional: _input
options:
  _input: {description: the number of members, type: int, required: true}
"""

EXAMPLES = r"""
- name: Refuse to leave an even number of members
  ansible.builtin.assert:
    that: not (remaining | length | hatool_member_count_problem)
"""

RETURN = r"""
_value: {description: the reason, or an empty string, type: str}
"""

# hatool_unchanged (one DOCUMENTATION a file): every host that looked at itself
# with hatool_converged found itself as the role left it.


def hatool_member_count_problem(count: Any) -> str:
    return member_count_problem(int(count)) or ""


def hatool_unchanged(hosts: Any, hostvars: Any, look: str) -> bool:
    """Whether every host in ``hosts`` that registered ``look`` (a hatool_converged
    result) is as its role left it, and at least one did: a role is skipped on all
    its hosts or run on all of them, since its steps compare the hosts with each other."""
    looked = [hostvars[h][look] for h in hosts if look in hostvars[h]]
    looked = [r for r in looked if not r.get("skipped")]
    return bool(looked) and all(r.get("converged") is True for r in looked)


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "hatool_member_count_problem": hatool_member_count_problem,
            "hatool_unchanged": hatool_unchanged,
        }
