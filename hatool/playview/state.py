"""A playbook run folded from its events: phases, per-host counters, failures, task times.

A phase is a play. Its label comes from the play's tags (the plays of
``playbooks/site.yml`` are tagged with their roles' names), else from the
first word of its name (``Validate the inventory`` -> ``validate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hatool.playview.events import Event

#: Short names of roles, for the columns of the summary table.
SHORT = {
    "certificates": "certs",
    "kube_apiserver": "apiserver",
    "loadbalancer": "lb",
    "kube_controller_manager": "kcm",
    "kube_scheduler": "sched",
}
COUNTERS = ("ok", "changed", "failed", "unreachable", "skipped")


def phase_label(name: str, tags: list[str]) -> str:
    """``etcd``, ``kcm+sched``, ``validate``: a short name for a play."""
    roles = [tag for tag in tags if tag != "always"]
    if roles:
        return "+".join(SHORT.get(tag, tag) for tag in roles)
    words = name.split()
    return words[0].lower() if words else "play"


@dataclass
class Counts:
    """One host's results, counted as Ansible's recap counts them (changed is also ok)."""

    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0

    def add(self, status: str) -> None:
        if status in ("ok", "changed", "ignored"):
            self.ok += 1
        if status == "changed":
            self.changed += 1
        if status == "failed":
            self.failed += 1
        if status == "unreachable":
            self.unreachable += 1
        if status == "skipped":
            self.skipped += 1

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


@dataclass
class Task:
    """One task as it ran: wall time from its start to the next task's (or play's) start."""

    uuid: str
    name: str
    role: str
    path: str
    phase: int
    started: float
    ended: float | None = None
    handler: bool = False
    #: per host: seconds from the host's start of the task to its result
    hosts: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return (self.ended or self.started) - self.started


@dataclass
class Failure:
    host: str
    task: str
    role: str
    path: str
    phase: str
    message: str
    unreachable: bool = False


@dataclass
class Phase:
    index: int
    name: str
    label: str
    #: the play's hosts after --limit; None when the callback could not say
    hosts: list[str] | None
    started: float
    ended: float | None = None
    task: str | None = None
    #: hosts that reported a result for the current task
    answered: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    failed_hosts: set[str] = field(default_factory=set)
    changed: int = 0
    #: per host: seconds its tasks took in this phase
    host_seconds: dict[str, float] = field(default_factory=dict)
    #: per role that looked at its hosts (hatool_converged): host -> why it is not as the
    #: role left it ([] when it is)
    looks: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: whether converged roles are skipped (deploy_skip_unchanged)
    skips: bool = True

    @property
    def seconds(self) -> float:
        return (self.ended or self.started) - self.started

    @property
    def total(self) -> int:
        return len(self.hosts) if self.hosts is not None else len(self.seen)

    @property
    def done(self) -> int:
        """Hosts through the phase without failing (at its end), or through the current task."""
        if self.ended is not None:
            return (
                len(self.seen - self.failed_hosts)
                if self.hosts is None
                else len([h for h in self.hosts if h not in self.failed_hosts])
            )
        return len(self.answered)


class Run:
    """Everything the events of one playbook run say, updated one event at a time."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.ended: float | None = None
        self.phases: list[Phase] = []
        self.tasks: list[Task] = []
        self._tasks: dict[str, Task] = {}
        self.counts: dict[str, Counts] = {}
        self.failures: list[Failure] = []
        #: Ansible's own recap, once the playbook ended
        self.recap: dict[str, dict[str, int]] | None = None

    @property
    def phase(self) -> Phase | None:
        return self.phases[-1] if self.phases else None

    @property
    def finished(self) -> bool:
        return self.ended is not None

    def _close_task(self, now: float) -> None:
        if self.tasks and self.tasks[-1].ended is None:
            self.tasks[-1].ended = now

    def _close_phase(self, now: float) -> None:
        self._close_task(now)
        phase = self.phase
        if phase is not None and phase.ended is None:
            phase.ended = now
            phase.task = None

    def feed(self, event: Event) -> None:
        kind = event.get("event")
        now = float(event.get("t", 0.0))
        if self.started is None:
            self.started = now
        if kind == "play":
            self._close_phase(now)
            tags = list(event.get("tags") or [])
            name = str(event.get("name") or "")
            hosts = event.get("hosts")
            self.phases.append(
                Phase(len(self.phases), name, phase_label(name, tags),
                      list(hosts) if hosts is not None else None, now)
            )  # fmt: skip
        elif kind == "task":
            self._task(event, now)
        elif kind == "result":
            self._result(event)
        elif kind == "stats":
            self._close_phase(now)
            self.ended = now
            self.recap = {
                host: {
                    "ok": c.get("ok", 0), "changed": c.get("changed", 0),
                    "failed": c.get("failures", 0), "unreachable": c.get("unreachable", 0),
                    "skipped": c.get("skipped", 0),
                }
                for host, c in (event.get("hosts") or {}).items()
            }  # fmt: skip

    def _task(self, event: Event, now: float) -> None:
        self._close_task(now)
        phase = self.phase
        if phase is None:  # a task outside any play: make one up rather than lose it
            phase = Phase(0, "", "play", None, now)
            self.phases.append(phase)
        role = str(event.get("role") or "")
        phase.task = str(event.get("name") or "").removeprefix(f"{role} : ")
        phase.answered = set()
        task = Task(
            uuid=str(event.get("uuid")), name=phase.task, role=role,
            path=str(event.get("path") or ""), phase=phase.index, started=now,
            handler=bool(event.get("handler")),
        )  # fmt: skip
        self.tasks.append(task)
        self._tasks[task.uuid] = task

    def _result(self, event: Event) -> None:
        host = str(event.get("host"))
        status = str(event.get("status"))
        self.counts.setdefault(host, Counts()).add(status)
        task = self._tasks.get(str(event.get("task")))
        phase = self.phases[task.phase] if task is not None else self.phase
        duration = event.get("duration")
        if task is not None and duration is not None:
            task.hosts[host] = task.hosts.get(host, 0.0) + float(duration)
        if phase is None:
            return
        phase.answered.add(host)
        phase.seen.add(host)
        if duration is not None:
            phase.host_seconds[host] = phase.host_seconds.get(host, 0.0) + float(duration)
        if status == "changed":
            phase.changed += 1
        if "converged" in event:
            role = task.role if task is not None else ""
            reasons = [] if event["converged"] else list(event.get("reasons") or ["differs"])
            phase.looks.setdefault(role, {})[host] = reasons
            phase.skips = phase.skips and bool(event.get("skip", True))
        if status in ("failed", "unreachable"):
            phase.failed_hosts.add(host)
            self.failures.append(
                Failure(host=host, task=task.name if task else "", role=task.role if task else "",
                        path=task.path if task else "", phase=phase.label,
                        message=str(event.get("message") or ""),
                        unreachable=status == "unreachable")
            )  # fmt: skip

    def host_counts(self) -> dict[str, dict[str, int]]:
        """Per host: ok / changed / failed / unreachable / skipped (Ansible's recap once known)."""
        if self.recap is not None:
            return dict(sorted(self.recap.items()))
        return {host: c.as_dict() for host, c in sorted(self.counts.items())}

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or (self.phase.ended if self.phase else None) or self.started) - (
            self.started
        )
