"""Faults for a lab's hosts: a whole master is lost by cutting its container off the network.

``hatool verify`` asks :func:`for_inventory` whether an inventory is a lab's
(the one ``hatool lab up`` wrote); if so its drills isolate hosts through
Docker instead of stopping their services.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from hatool.lab.plan import Lab, labs_dir
from hatool.verify.faults import Faults
from hatool.verify.target import Node


@dataclass
class LabFaults:
    """A lab host loses its network and keeps running, as a real host behind a dead switch."""

    lab: Lab
    how: ClassVar[str] = "cut off the network"
    power_how: ClassVar[str] = "kill its container"

    def isolate(self, node: Node, units: Sequence[str]) -> None:
        """Disconnect the host's container from the lab network (``units`` keep running)."""
        self.lab.host(node.name).disconnect()

    def restore(self, node: Node, units: Sequence[str]) -> None:
        """Reconnect the container, with the same address."""
        self.lab.host(node.name).connect()

    def power_off(self, node: Node, units: Sequence[str]) -> None:
        """Kill the container, as a power cut: no service gets to say goodbye (keepalived
        sends no last advertisement), so its peers notice only by what stops arriving."""
        self.lab.host(node.name).kill()

    def power_on(self, node: Node, units: Sequence[str]) -> None:
        """Start the container again: it boots, and its services start as enabled."""
        self.lab.host(node.name).start()


def lab_of(inventory: str | Path) -> Lab | None:
    """The lab whose inventory this is: ``<labs_dir>/<name>/hosts.yml`` beside a ``state.json``."""
    path = Path(inventory).resolve()
    if path.parent.parent != labs_dir().resolve():
        return None
    if not (path.parent / "state.json").is_file():
        return None
    return Lab.load(path.parent.name)


def for_inventory(inventory: str | Path) -> Faults | None:
    """Lab faults if ``inventory`` belongs to a lab; None for any other inventory."""
    lab = lab_of(inventory)
    return LabFaults(lab) if lab is not None else None
