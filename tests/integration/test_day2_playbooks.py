"""The day-2 playbooks refuse on the controller, before any host is contacted.

A damaged snapshot, another cluster's snapshot, an unconfirmed restore, a
removal that names no master: each stops the playbook with its reason while a
TCP listener on every host's ``ansible_port`` counts zero connections.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatool.paths import PROJECT_ROOT
from tests.helpers.inventories import cluster_of, model
from tests.helpers.listener import Listener
from tests.helpers.snapshots import flip_one_byte, kept_snapshot


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def inventory(tmp_path: Path, name: str = "hatool") -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(
        f"all:\n  vars: {{cluster_name: {name}, kube_version: v1.20.2, artifact_source: official}}\n"
        "  children:\n"
        "    control_plane: {hosts: {m1: {ansible_host: 127.0.9.1}, m2: {ansible_host: 127.0.9.2},"
        " m3: {ansible_host: 127.0.9.3}}}\n"
        "    loadbalancer: {hosts: {lb: {ansible_host: 127.0.9.4}, lb2: {ansible_host: 127.0.9.5}}}\n"
    )
    return path


def playbook(inv: Path, name: str, port: int, *extra: str) -> str:
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_TIMEOUT="3")  # fmt: skip
    binary = PROJECT_ROOT / ".venv" / "bin" / "ansible-playbook"
    argv = [str(binary) if binary.exists() else "ansible-playbook", "-i", str(inv),
            str(PROJECT_ROOT / "playbooks" / name), "-e", f"ansible_port={port}",
            "-e", "ansible_user=nobody", *extra]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=120)
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


def test_a_snapshot_with_one_byte_changed_is_refused_before_any_host(
    tmp_path: Path, listener: Listener
) -> None:
    kept = kept_snapshot(cluster_of(model(), str(tmp_path)))
    flip_one_byte(kept.snapshot, 7000)
    out = playbook(inventory(tmp_path), "etcd-restore.yml", listener.port,
                   "-e", f"snapshot={kept.snapshot}", "-e", "confirm=true")  # fmt: skip
    assert "the file has changed since it was taken; nothing was stopped" in out
    assert "PLAY [Restore etcd from the snapshot on every member]" not in out
    assert listener.accepted == 0


def test_another_cluster_s_snapshot_is_refused_before_any_host(
    tmp_path: Path, listener: Listener
) -> None:
    kept = kept_snapshot(cluster_of(model({"cluster_name": "staging"}), str(tmp_path)))
    out = playbook(inventory(tmp_path), "etcd-restore.yml", listener.port,
                   "-e", f"snapshot={kept.snapshot}", "-e", "confirm=true")  # fmt: skip
    assert "taken from cluster staging" in out
    assert "this inventory is cluster hatool" in out
    assert listener.accepted == 0


def test_an_unconfirmed_restore_is_refused_before_any_host(
    tmp_path: Path, listener: Listener
) -> None:
    kept = kept_snapshot(cluster_of(model(), str(tmp_path)))
    out = playbook(inventory(tmp_path), "etcd-restore.yml", listener.port,
                   "-e", f"snapshot={kept.snapshot}")  # fmt: skip
    assert "replaces etcd's data on every member (m1, m2, m3)" in out
    assert "Confirm with -e confirm=true" in out
    assert listener.accepted == 0


def test_a_restore_without_a_snapshot_says_where_they_are(
    tmp_path: Path, listener: Listener
) -> None:
    out = playbook(inventory(tmp_path), "etcd-restore.yml", listener.port)
    assert "name the snapshot to restore: -e snapshot=FILE" in out
    assert listener.accepted == 0


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ([], "name the master to remove: -e master=HOST"),
        (["-e", "master=lb"], "lb is not one of them"),
    ],
)
def test_remove_master_names_a_master_before_any_host(
    tmp_path: Path, listener: Listener, extra: list[str], words: str
) -> None:
    out = playbook(inventory(tmp_path), "remove-master.yml", listener.port, *extra)
    assert words in out
    assert listener.accepted == 0
