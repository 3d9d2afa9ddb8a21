"""Action plugin: install a set of files from the controller with one look at the host.

One remote command reads owner, group, mode and sha256 of every destination;
only the files that differ are handed to ``ansible.builtin.copy`` (which keeps
``--check`` and ``--diff`` exact). A no-change run costs one round trip per
host instead of one or more per file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase

from hatool.files import NO_FOLDER, Wanted, parse, probe_command, stale

DOCUMENTATION = r"""
module: hatool_files
short_description: Install files from the controller, copying only those that differ
description:
  - Compares every destination with its source in one remote command (sha256, owner,
    group, mode) and copies only the files that differ, with ansible.builtin.copy.
  - In check mode, a source the controller has not made yet counts as a change.
options:
  files:
    description: each a name (the same below src_dir and dest_dir) or a dict with src and dest
    required: true
    type: list
    elements: raw
  src_dir: {description: folder on the controller that relative sources are in, type: path}
  dest_dir: {description: folder on the host that relative destinations are in, type: path}
  owner: {description: owner of every file, type: str}
  group: {description: group of every file, type: str}
  mode: {description: mode of every file, in octal, type: str}
"""

EXAMPLES = r"""
- name: Install the member's private keys
  hatool_files:
    src_dir: "{{ hatool.paths.pki }}/etcd"
    dest_dir: /etc/etcd/pki
    files:
      - {src: "{{ inventory_hostname }}-server.key", dest: server.key}
    owner: etcd
    group: etcd
    mode: "0600"
  no_log: true
"""

RETURN = r"""
files:
  description: the destinations copied (in check mode, that would be)
  type: list
  elements: str
  returned: always
"""


class ActionModule(ActionBase):  # type: ignore[misc]
    TRANSFERS_FILES = True
    _supports_check_mode = True

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            wanted = _wanted(args)
        except ValueError as exc:
            return {**result, "failed": True, "msg": str(exc)}
        missing = [w for w in wanted if not w.src.is_file()]
        if missing and not self._task.check_mode:
            names = ", ".join(str(w.src) for w in missing)
            return {**result, "failed": True, "msg": f"not on the controller: {names}"}

        probe = self._low_level_execute_command(probe_command([w.dest for w in wanted]))
        if probe["rc"] != 0:
            return {**result, "failed": True, "msg": f"could not read the files: {probe['stderr']}"}
        found = parse(probe["stdout"])

        changed: list[str] = []
        diffs: list[Any] = []
        for item in wanted:
            if item in missing or not stale(item, found.get(item.dest)):
                if item in missing:
                    changed.append(item.dest)  # check mode: the controller makes it first
                continue
            changed.append(item.dest)
            there = found.get(item.dest)
            if self._task.check_mode and there is not None and there.state == NO_FOLDER:
                continue  # its folder is made by an earlier task of a real run
            copied = self._copy(item, task_vars or {})
            if copied.get("failed"):
                return {**result, **copied, "files": changed}
            if "diff" in copied:
                diffs.append(copied["diff"])
        self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(changed=bool(changed), files=changed)
        if diffs:
            result["diff"] = diffs
        return result

    def _copy(self, item: Wanted, task_vars: dict[str, Any]) -> dict[str, Any]:
        """ansible.builtin.copy of one file, as this task (become, check mode, diff)."""
        task = self._task.copy()
        task.args = {"src": str(item.src), "dest": item.dest}
        for key, value in (("owner", item.owner), ("group", item.group)):
            if value is not None:
                task.args[key] = value
        if item.mode is not None:
            task.args["mode"] = f"{item.mode:04o}"
        copy = self._shared_loader_obj.action_loader.get(
            "ansible.legacy.copy",
            task=task,
            connection=self._connection,
            play_context=self._play_context,
            loader=self._loader,
            templar=self._templar,
            shared_loader_obj=self._shared_loader_obj,
        )
        copied: dict[str, Any] = copy.run(task_vars=task_vars)
        return copied


def _wanted(args: dict[str, Any]) -> list[Wanted]:
    src_dir = Path(str(args.get("src_dir") or "."))
    dest_dir = str(args.get("dest_dir") or "")
    mode = args.get("mode")
    wanted = []
    for entry in args.get("files") or []:
        if isinstance(entry, str):
            src, dest = entry, entry
        elif isinstance(entry, dict) and {"src", "dest"} <= set(entry):
            src, dest = str(entry["src"]), str(entry["dest"])
        else:
            raise ValueError(f"files: each entry is a name or has src and dest, not {entry!r}")
        if not dest.startswith("/"):
            if not dest_dir:
                raise ValueError(f"files: {dest} is relative and dest_dir is not set")
            dest = f"{dest_dir.rstrip('/')}/{dest}"
        wanted.append(
            Wanted(
                src=src_dir / src,
                dest=dest,
                owner=args.get("owner"),
                group=args.get("group"),
                mode=int(str(mode), 8) if mode is not None else None,
            )
        )
    return wanted
