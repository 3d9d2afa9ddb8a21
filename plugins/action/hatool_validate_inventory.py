"""Action plugin: check the inventory with hatool's rules, on the controller only.

The first play of every hatool playbook runs this, so that an operator who
runs ``ansible-playbook`` directly gets the same checks, in the same words,
as ``hatool validate``. It never contacts a host.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

try:
    import hatool  # noqa: F401 - only checks that hatool is importable
except ImportError:  # hatool is not pip-installed: use the checkout this plugin lives in
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hatool.inventory.load import from_task_vars
from hatool.inventory.report import format_text, inventory_dir
from hatool.inventory.rules import ERROR, WARNING, check

DOCUMENTATION = r"""
module: hatool_validate_inventory
short_description: Check the inventory against hatool's rules
description:
  - Runs on the controller, contacts no host, and fails with every error found.
  - The same rules as C(hatool validate INVENTORY).
options: {}
"""

display = Display()


class ActionModule(ActionBase):  # type: ignore[misc]
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        model, source = from_task_vars(task_vars or {})
        findings = check(model, inventory_dir(source) if source else None)
        for finding in findings:
            if finding.severity == WARNING:
                display.warning(finding.line())
        failures = [f for f in findings if f.severity == ERROR]
        result["changed"] = False
        result["findings"] = [f.as_dict() for f in findings]
        if failures:
            result["failed"] = True
            result["msg"] = format_text(model.source, findings)
        else:
            result["msg"] = f"{model.source}: valid ({len(findings)} warning(s))"
        return result
