"""Shared fixtures: run hatool's CLI in-process, and find out what this machine offers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.artifacts.cache import artifacts_dir
from hatool.paths import PROJECT_ROOT

REPO = PROJECT_ROOT


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return done.returncode == 0


def artifacts_built() -> bool:
    return (artifacts_dir() / "SHA256SUMS").is_file()


@pytest.fixture(scope="session", autouse=True)
def lab_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """hatool's state (labs, their keys and inventories) in a temporary folder."""
    state = tmp_path_factory.mktemp("hatool-state")
    old = os.environ.get("HATOOL_STATE")
    os.environ["HATOOL_STATE"] = str(state)
    yield state
    if old is None:
        os.environ.pop("HATOOL_STATE", None)
    else:
        os.environ["HATOOL_STATE"] = old


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Lab and artifact tests need real components; say clearly when they are absent.

    CI installs them (scripts/setup): with CI=true (or HATOOL_REQUIRE_LAB=1)
    nothing is skipped, so a missing component fails the run instead of
    hiding behind a skip.
    """
    if os.environ.get("HATOOL_FULL") != "1":
        for item in items:
            if item.get_closest_marker("full"):
                item.add_marker(
                    pytest.mark.skip(reason="the long matrix: runs with 'scripts/test --full'")
                )
    if os.environ.get("HATOOL_REQUIRE_LAB") == "1" or os.environ.get("CI") == "true":
        return
    have_docker = docker_answers()
    have_artifacts = artifacts_built()
    for item in items:
        reasons = []
        if (item.get_closest_marker("lab") or item.get_closest_marker("e2e")) and not have_docker:
            reasons.append("no Docker engine answers (run 'bash scripts/setup')")
        if (
            item.get_closest_marker("artifacts") or item.get_closest_marker("e2e")
        ) and not have_artifacts:
            reasons.append("the artifact cache is not built (run 'hatool artifacts')")
        if reasons:
            item.add_marker(pytest.mark.skip(reason="; ".join(reasons)))
