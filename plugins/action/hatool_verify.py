"""Action plugin: hatool verify's health checks, for operators who use only Ansible.

Runs on the controller with the same Python code as ``hatool verify``: the
API through every load balancer and directly, etcd, leader election, and
the CIS rows (every benchmark item on the running hosts).
"""

from __future__ import annotations

import io
from typing import Any

from ansible.utils.display import Display

from hatool.action import HatoolAction
from hatool.cluster.model import Cluster
from hatool.verify.api import LeaseClient, tls_context
from hatool.verify.checks import Check, all_checks
from hatool.verify.remote import Remote
from hatool.verify.report import Report
from hatool.verify.target import target as make_target

DOCUMENTATION = r"""
module: hatool_verify
short_description: Check a deployed control plane (API, etcd, leader election, CIS items)
description:
  - Runs on the controller; reaches the hosts over SSH with the inventory's settings.
  - The same checks as C(hatool verify INVENTORY), without the drills.
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
"""

EXAMPLES = r"""
- name: Check the API, etcd, leader election and the CIS items
  hatool_verify:
    cluster: "{{ hatool }}"
  run_once: true
"""

RETURN = r"""
msg:
  description: how many checks hold, and which failed
  type: str
  returned: always
"""

display = Display()


def row(check: Check) -> str:
    """One check as the playbook prints it: ``ok    api       name: detail``."""
    return f"{'ok  ' if check.ok else 'FAIL'}  {check.area:<9} {check.name}: {check.detail}"


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        cluster = Cluster.from_fact(self.args["cluster"])
        sources = task_vars.get("ansible_inventory_sources") or ["the inventory"]
        hostvars = task_vars["hostvars"]
        target = make_target(
            str(sources[0]), cluster, {name: hostvars[name] for name in cluster.hosts()}
        )
        target.check_files()
        # The report's own table is not printed: Ansible's display shows the rows.
        report = Report(io.StringIO())
        with Remote() as remote:
            context, leases = tls_context(target.pki), LeaseClient(target.admin_kubeconfig)
            report.add(*all_checks(target, remote, context, leases))
        for check in report.checks:
            display.display(row(check))
        return {"msg": report.summary(), "failed": bool(report.failed)}
