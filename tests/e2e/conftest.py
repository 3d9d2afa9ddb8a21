"""The stacked lab that several end-to-end modules share, to keep the suite's time down.

``tests/e2e/test_security.py`` and ``tests/e2e/test_stacked.py`` check different
features on one deployment of it; either module alone brings it up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import lab_down, lab_up
from tests.helpers.e2e import HATOOL_DEPLOY, Deployment


@pytest.fixture(scope="session")
def stacked_deployment(lab_state: Path) -> Iterator[Deployment]:
    """3 masters with stacked etcd, 2 load balancers with a virtual IP, deployed once with
    ``hatool deploy``."""
    name = f"t-{os.getpid()}-st"
    deployment = Deployment(lab_up(name, "--lbs", "2"), HATOOL_DEPLOY)
    first = deployment.run()
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    yield deployment
    lab_down(name)
