"""Action plugin: look at a host once, or record what a role left there.

``state: look`` (the first task of a role) runs :mod:`hatool.hoststate` on the
host (one ``python3`` command) and compares its snapshot and the role's inputs
with the record the role left there the last time it finished: ``converged`` is
true when nothing differs, and ``reasons`` says what does. It also returns the
host's ``architecture`` and ``nodename`` facts, the only ones the roles use.
``state: record`` (the last task) writes the record. Read-only in check mode; a
record is never written in check mode.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from ansible.plugins.action import ActionBase

from hatool import hoststate
from hatool.converged import inputs_digests, role_variables

DOCUMENTATION = r"""
module: hatool_converged
short_description: Whether a host is as a role left it, or record that it is
description:
  - One command on the host takes a snapshot of the paths, units, users, groups and
    packages the role manages, and reads the role's record.
  - The role's inputs (the cluster, its variables, hatool's roles and plugins, the files
    it copies from the controller) are compared as digests.
options:
  role: {description: the role, required: true, type: str}
  spec:
    description: >-
      what the role manages, a dict of paths (each looked at alone), trees (every path below),
      units, users, groups, packages, address (the interface holding it is part of the state)
    required: true
    type: dict
  files:
    description: folders on the controller whose files the role copies to the host
    type: list
    elements: path
    default: []
  state:
    description: look, or record
    type: str
    choices: [look, record]
    default: look
"""

EXAMPLES = r"""
- name: Look at the host once
  hatool_converged:
    role: etcd
    spec: {paths: [/etc/etcd/etcd.env], units: [etcd], users: [etcd]}
    files: ["{{ hatool.paths.pki }}/etcd"]
  register: __etcd_look
"""

RETURN = r"""
converged: {description: nothing differs from the record, type: bool, returned: always}
reasons: {description: what differs, one line each, type: list, elements: str, returned: always}
skip: {description: whether a converged role is skipped (deploy_skip_unchanged), type: bool}
"""


class ActionModule(ActionBase):  # type: ignore[misc]
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        role = str(args["role"])
        state = str(args.get("state") or "look")
        if state == "record" and self._task.check_mode:
            return {**result, "changed": False, "skipped": True, "msg": "check mode: no record"}
        variables = {
            name: self._templated(task_vars[name])
            for name in role_variables(role)
            if name in task_vars
        }
        cluster = dict(task_vars.get("hatool") or {})
        cluster.pop("skip_unchanged", None)  # whether to skip is not an input of the role
        inputs = inputs_digests(role, cluster, variables, [str(f) for f in args.get("files") or []])
        request = {"role": role, "spec": args["spec"], "record": None}
        if state == "record":
            request["record"] = inputs
        answer = self._look(request, task_vars)
        if "failed" in answer:
            return {**result, **answer}
        facts = answer["facts"]
        if state == "record":
            return {**result, "changed": False, "ansible_facts": facts, "msg": f"recorded {role}"}
        reasons = hoststate.differences(answer["record"], answer["snapshot"], inputs)
        return {
            **result,
            "changed": False,
            "converged": not reasons,
            "reasons": reasons,
            # deploy_skip_unchanged: false runs the role all the same
            "skip": bool((task_vars.get("hatool") or {}).get("skip_unchanged", True)),
            "ansible_facts": facts,
            "msg": "as the role left it" if not reasons else "; ".join(reasons[:5]),
        }

    def _templated(self, value: Any) -> Any:
        try:
            return self._templar.template(value)
        except Exception:  # an input that cannot be rendered yet counts as its text
            return repr(value)

    def _look(self, request: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        python = task_vars.get("ansible_python_interpreter")
        if not (isinstance(python, str) and python.startswith("/")):
            python = "python3"
        source = hoststate.__loader__.get_source(hoststate.__name__)  # type: ignore[union-attr]
        command = " ".join(
            shlex.quote(part) for part in (python, "-c", source, json.dumps(request))
        )
        done = self._low_level_execute_command(command, sudoable=True)
        if done["rc"] != 0:
            return {"failed": True, "msg": f"could not look at the host: {done['stderr'][-2000:]}"}
        try:
            answer: dict[str, Any] = json.loads(done["stdout"])
        except ValueError:
            return {"failed": True, "msg": f"the host's answer is not JSON: {done['stdout'][:500]}"}
        return answer
