"""The molecule scenarios, end to end, as CI runs them: create, converge, idempotence, verify, destroy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hatool.paths import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.lab, pytest.mark.artifacts]

STEPS = ("destroy", "syntax", "create", "converge", "idempotence", "verify")


@pytest.mark.parametrize("scenario", ["default", "external_etcd"])
def test_scenario_passes(scenario: str, lab_state: Path) -> None:
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", PY_COLORS="0", NO_COLOR="1")
    molecule = Path(sys.executable).with_name("molecule")
    done = subprocess.run(
        [str(molecule), "test", "-s", scenario],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert done.returncode == 0, output[-6000:]
    for step in STEPS:
        assert re.search(rf"{scenario} (➜|>) {step}\]?: Executed: Successful", output), step
    verified = re.search(r"=+ (\d+) passed", output)  # testinfra's closing line
    assert verified is not None
    assert int(verified.group(1)) >= 30
    assert (
        "molecule-" + scenario.replace("_", "-")
        not in subprocess.run(
            ["docker", "ps", "-a", "--format", "{{.Names}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
