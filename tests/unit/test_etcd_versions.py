"""Which etcd releases go with which Kubernetes line, and which etcd upgrades are one step."""

from __future__ import annotations

import pytest

from hatool.inventory.findings import errors
from hatool.inventory.rules import check
from hatool.versions import SUPPORTED, etcd_minor_of, etcd_upgrade_problem
from tests.helpers.inventories import model


@pytest.mark.parametrize(
    ("text", "minor"), [("v3.4.23", "3.4"), ("3.5.16", "3.5"), ("v3.6.5", "3.6"), ("x", None)]
)
def test_the_minor_line_of_an_etcd_version(text: str, minor: str | None) -> None:
    assert etcd_minor_of(text) == minor


def test_each_line_s_default_etcd_is_one_it_runs_with() -> None:
    for release in SUPPORTED.values():
        assert release.etcd_minor in release.etcd_minors
        assert etcd_minor_of(release.etcd_version) == release.etcd_minor


@pytest.mark.parametrize("etcd", ["v3.4.23", "v3.5.16"])
def test_a_v1_20_cluster_may_run_etcd_3_4_or_3_5(etcd: str) -> None:
    inventory = model({"kube_version": "v1.20.2", "etcd_version": etcd})
    assert errors(check(inventory)) == []


def test_etcd_3_6_is_refused_for_v1_20() -> None:
    inventory = model({"kube_version": "v1.20.2", "etcd_version": "v3.6.5"})
    (finding,) = errors(check(inventory))
    assert finding.rule == "etcd-version-unsupported"
    assert finding.variable == "etcd_version"
    assert "runs with etcd 3.4 or 3.5, not 3.6" in finding.message


@pytest.mark.parametrize(
    ("running", "wanted"),
    [
        ("3.4.23", "v3.4.23"),  # nothing to do
        ("3.4.23", "v3.4.25"),  # a patch release
        ("3.4.25", "v3.4.23"),  # patch releases go either way
        ("3.4.23", "v3.5.16"),  # the next minor
        ("v3.5.16", "v3.6.5"),
    ],
)
def test_one_minor_at_a_time_is_an_upgrade(running: str, wanted: str) -> None:
    assert etcd_upgrade_problem(running, wanted) is None


@pytest.mark.parametrize(
    ("running", "wanted", "words"),
    [
        ("3.4.23", "v3.6.5", ["skips a minor version", "upgrade to the newest v3.5.x first"]),
        ("3.5.16", "v3.4.23", ["goes back a minor version", "etcd-restore.yml"]),
        ("3.5.16", "v4.0.0", ["skips a minor version"]),
        ("garbage", "v3.5.16", ["cannot compare etcd versions"]),
    ],
)
def test_skipping_or_going_back_a_minor_is_refused(
    running: str, wanted: str, words: list[str]
) -> None:
    problem = etcd_upgrade_problem(running, wanted)
    assert problem is not None
    for word in words:
        assert word in problem
