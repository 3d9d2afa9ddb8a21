"""Callback plugin: a playbook's events as JSON lines, and where its time went.

hatool enables it for its own runs (``hatool deploy``): every play, task and
per-host result goes, one JSON object a line, to the file named by
``HATOOL_EVENTS``, which hatool reads while the playbook runs to show one
progress line per phase. At the end it prints the time per role and the
slowest tasks into Ansible's output (hatool's log). Anyone can use it with
plain Ansible, offline:

    ANSIBLE_CALLBACKS_ENABLED=hatool_events ansible-playbook -i INVENTORY playbooks/site.yml

Results are the censored copies Ansible hands to callbacks: a ``no_log`` task's
message is never written. The mapping of events to phases, counters and
timings is :mod:`hatool.playview`.
"""

from __future__ import annotations

import time
from typing import Any

from ansible.plugins.callback import CallbackBase

from hatool.playview.events import EventWriter, failure_message
from hatool.playview.state import Run
from hatool.playview.timings import breakdown, format_breakdown

DOCUMENTATION = r"""
name: hatool_events
type: notification
short_description: hatool's progress events (JSON lines) and per-role and per-task timings
description:
  - Writes every play, task and per-host result as one JSON object per line to the file
    named by C(HATOOL_EVENTS) (nothing is written when it is unset).
  - At the end of the playbook prints the time spent per role and the slowest tasks.
  - Needs nothing but ansible-core; never reaches the network.
requirements:
  - enable it in callbacks_enabled (hatool does so for its own runs)
options:
  events_path:
    description: the JSON-lines file to append the events to
    env:
      - name: HATOOL_EVENTS
    type: path
  top_tasks:
    description: how many of the slowest tasks to print at the end
    env:
      - name: HATOOL_TIMINGS_TOP
    type: int
    default: 15
"""


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "hatool_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: EventWriter | None = None
        self._run = Run()
        self._started: dict[tuple[str, str], float] = {}
        self._top = 15

    def set_options(self, *args: Any, **kwargs: Any) -> None:
        super().set_options(*args, **kwargs)
        path = self.get_option("events_path")
        self._writer = EventWriter(path) if path else None
        self._top = int(self.get_option("top_tasks"))

    def _emit(self, event: dict[str, Any]) -> None:
        event = {"t": round(time.time(), 3), **event}
        self._run.feed(event)
        if self._writer is not None:
            self._writer.write(event)

    # -- plays and tasks ---------------------------------------------------------------

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._emit({"event": "playbook", "path": str(playbook._file_name)})

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._emit(
            {"event": "play", "name": play.get_name().strip(), "tags": list(play.tags or []),
             "roles": [role.get_name() for role in play.roles], "hosts": _play_hosts(play)}
        )  # fmt: skip

    def _task(self, task: Any, *, handler: bool) -> None:
        role = task._role.get_name() if task._role else ""
        self._emit(
            {"event": "task", "uuid": task._uuid, "name": task.get_name().strip(),
             "role": role, "path": task.get_path() or "", "handler": handler}
        )  # fmt: skip

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self._task(task, handler=False)

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self._task(task, handler=True)

    # -- results -------------------------------------------------------------------------

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        self._started[(host.get_name(), task._uuid)] = time.time()

    def _result(self, result: Any, status: str) -> None:
        host = result._host.get_name()
        began = self._started.pop((host, result._task._uuid), None)
        event: dict[str, Any] = {
            "event": "result", "host": host, "task": result._task._uuid, "status": status,
            "duration": round(time.time() - began, 3) if began is not None else None,
        }  # fmt: skip
        if status in ("failed", "unreachable"):
            event["message"] = failure_message(result._result)
        if "converged" in result._result:  # hatool_converged: as the role left the host?
            event["converged"] = bool(result._result["converged"])
            event["reasons"] = list(result._result.get("reasons") or [])[:3]
            event["skip"] = bool(result._result.get("skip", True))
        self._emit(event)

    def v2_runner_on_ok(self, result: Any) -> None:
        self._result(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._result(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._result(result, "unreachable")

    # -- the end -------------------------------------------------------------------------

    def v2_playbook_on_stats(self, stats: Any) -> None:
        hosts = {
            host: {key: int(value) for key, value in stats.summarize(host).items()}
            for host in sorted(stats.processed)
        }
        self._emit({"event": "stats", "hosts": hosts})
        self._display.display(format_breakdown(breakdown(self._run), top=self._top))
        if self._writer is not None:
            self._writer.close()


def _play_hosts(play: Any) -> list[str] | None:
    """The hosts the play runs on (after ``--limit``), or None when that cannot be known."""
    try:
        inventory = play._variable_manager._inventory
        return [host.name for host in inventory.get_hosts(play.hosts)]
    except Exception:  # a newer Ansible's internals: the view counts hosts as they answer
        return None
