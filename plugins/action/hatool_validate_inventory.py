"""Action plugin: check the inventory with hatool's rules and hand the cluster model to the roles.

The first play of every hatool playbook runs this, so that an operator who
runs ``ansible-playbook`` directly gets the same checks, in the same words,
as ``hatool validate``; it never contacts a host. On a valid inventory it
sets the fact ``hatool``: the resolved cluster (:mod:`hatool.cluster`) that
every role templates from.
"""

from __future__ import annotations

from typing import Any

from ansible.utils.display import Display

from hatool.action import HatoolAction
from hatool.cluster.resolve import resolve
from hatool.inventory.findings import WARNING, errors, format_text
from hatool.inventory.load import from_task_vars
from hatool.inventory.rules import check
from hatool.inventory.validate import inventory_dir

DOCUMENTATION = r"""
module: hatool_validate_inventory
short_description: Check the inventory against hatool's rules, then resolve the cluster model
description:
  - Runs on the controller, contacts no host, and fails with every error found.
  - The same rules as C(hatool validate INVENTORY).
  - Run it once (C(run_once)) in a play over every host, so that its fact reaches them all.
options: {}
"""

EXAMPLES = r"""
- name: Validate the inventory
  hosts: all
  gather_facts: false
  tasks:
    - name: Check the inventory against hatool's rules
      hatool_validate_inventory:
      run_once: true
"""

RETURN = r"""
findings:
  description: every finding, as C(hatool validate --json) prints them
  type: list
  elements: dict
  returned: always
ansible_facts:
  description: C(hatool), the resolved cluster (hosts, etcd members and URLs, ports, paths, timings)
  type: dict
  returned: when the inventory is valid
"""

display = Display()


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        model, source = from_task_vars(task_vars)
        directory = inventory_dir(source) if source else None
        findings = check(model, directory)
        for finding in findings:
            if finding.severity == WARNING:
                display.warning(finding.line())
        result: dict[str, Any] = {"findings": [f.as_dict() for f in findings]}
        if errors(findings):
            return {**result, "failed": True, "msg": format_text(model.source, findings)}
        cluster = resolve(model, directory)
        return {
            **result,
            "msg": f"{model.source}: valid ({len(findings)} warning(s))",
            "ansible_facts": {"hatool": cluster.to_fact()},
        }
