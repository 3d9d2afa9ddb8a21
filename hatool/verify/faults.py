"""How a drill takes a whole host away and gives it back.

A real host loses every control-plane service (``systemctl stop``); a lab
brings its own implementation that cuts a host's network instead. The
drills only see the :class:`Faults` protocol, so verify knows nothing of
where the hosts run; ``hatool verify`` chooses the implementation.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from hatool.progress import Progress
from hatool.verify.remote import Remote
from hatool.verify.target import Node


class Faults(Protocol):
    """Takes a host out of the cluster and puts it back."""

    @property
    def how(self) -> str:
        """What isolating a host does, in words for a report row ("stop every service")."""
        ...

    def isolate(self, node: Node, units: Sequence[str]) -> None:
        """Take ``node`` away; ``units``: the control-plane services it runs, in stop order."""
        ...

    def restore(self, node: Node, units: Sequence[str]) -> None:
        """Give ``node`` back (open SSH connections to it may be stale afterwards)."""
        ...

    @property
    def power_how(self) -> str:
        """What powering a host off does, in words for a report row ("stop its services")."""
        ...

    def power_off(self, node: Node, units: Sequence[str]) -> None:
        """Shut ``node`` down, its ``units`` stopping in order, as for maintenance."""
        ...

    def power_on(self, node: Node, units: Sequence[str]) -> None:
        """Start ``node`` again; its services start as at boot (open SSH connections are stale)."""
        ...


def run_systemctl(remote: Remote, progress: Progress, node: Node, *args: str) -> bool:
    """``systemctl ARGS`` on ``node``; a failure is said, not raised, since a drill measures on."""
    result = remote.run(node, shlex.join(["systemctl", *args]))
    if not result.ok:
        progress.say(f"systemctl {' '.join(args)}: {result.stderr.strip()}", node.name)
    return result.ok


@dataclass
class SystemdFaults:
    """A real host over SSH: stop its services, then start them again in reverse order."""

    remote: Remote
    progress: Progress = field(default_factory=Progress)
    how: ClassVar[str] = "stop every service"
    power_how: ClassVar[str] = "stop its services"

    def isolate(self, node: Node, units: Sequence[str]) -> None:
        run_systemctl(self.remote, self.progress, node, "stop", *units)

    def restore(self, node: Node, units: Sequence[str]) -> None:
        run_systemctl(self.remote, self.progress, node, "start", *reversed(units))

    # A real host is not powered off by a drill: its services stop as they would
    # when it shuts down, and start again as at boot.
    power_off = isolate
    power_on = restore
