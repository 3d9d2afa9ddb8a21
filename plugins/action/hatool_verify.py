"""Action plugin: hatool verify's health checks, for operators who use only Ansible.

Runs on the controller with the same Python code as ``hatool verify``: the
API through every load balancer and directly, etcd, and leader election.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

try:
    import hatool  # noqa: F401 - only checks that hatool is importable
except ImportError:  # hatool is not pip-installed: use the checkout this plugin lives in
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hatool.errors import HatoolError
from hatool.inventory.load import from_task_vars
from hatool.verify.api import LeaseReader, tls_context
from hatool.verify.checks import Check, all_checks
from hatool.verify.remote import Remote
from hatool.verify.report import Report
from hatool.verify.target import from_model

DOCUMENTATION = r"""
module: hatool_verify
short_description: Check a deployed control plane (API, etcd, leader election)
description:
  - Runs on the controller; reaches the hosts over SSH with the inventory's settings.
  - The same checks as C(hatool verify INVENTORY), without the drills.
options: {}
"""

display = Display()


def row(check: Check) -> str:
    """One check as the playbook prints it: ``ok    api       name: detail``."""
    return f"{'ok  ' if check.ok else 'FAIL'}  {check.area:<9} {check.name}: {check.detail}"


class ActionModule(ActionBase):  # type: ignore[misc]
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        result["changed"] = False
        model, source = from_task_vars(task_vars or {})
        if source is None:
            return {**result, "failed": True, "msg": "hatool_verify needs an inventory file"}
        target = from_model(model)
        target.inventory = source
        try:
            target.check_files()
        except HatoolError as exc:
            return {**result, "failed": True, "msg": str(exc)}
        # The report's own table is not printed: Ansible's display shows the rows.
        report = Report(io.StringIO())
        with Remote() as remote:
            report.add(
                *all_checks(
                    target, remote, tls_context(target.pki), LeaseReader(target.admin_kubeconfig)
                )
            )
        for check in report.checks:
            display.display(row(check))
        result["msg"] = report.summary()
        if report.failed:
            result["failed"] = True
        return result
