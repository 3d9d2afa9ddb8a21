"""What hatool's Ansible action plugins share: they run hatool's Python on the controller.

Each plugin in ``plugins/action/`` is a thin :class:`HatoolAction`: it states
its documentation and implements :meth:`HatoolAction.act`. A
:class:`~hatool.errors.HatoolError` becomes a failed task with its message,
never a traceback; no plugin contacts a host.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from hatool.errors import HatoolError


class HatoolAction(ActionBase):  # type: ignore[misc]
    """Base of hatool's action plugins: no connection, no file transfer, check mode aware."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        """The task's result (``changed`` defaults to false); raise HatoolError to fail."""
        raise NotImplementedError

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        result["changed"] = False
        try:
            result.update(self.act(task_vars or {}))
        except HatoolError as exc:
            result.update(failed=True, msg=str(exc))
        return result

    @property
    def args(self) -> dict[str, Any]:
        return dict(self._task.args)

    @property
    def check_mode(self) -> bool:
        return bool(self._task.check_mode)
