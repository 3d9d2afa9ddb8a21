"""Lab fixtures: real labs (containers with systemd and sshd), torn down after use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.lab.plan import Lab
from tests.helpers import lab_down, lab_up


@pytest.fixture(scope="session")
def stacked_lab(lab_state: Path) -> Iterator[Lab]:
    """The default shape: 3 masters and 1 load balancer."""
    name = f"t-{os.getpid()}-s"
    lab = lab_up(name)
    yield lab
    lab_down(name)
