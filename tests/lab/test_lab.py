"""Real labs: containers running systemd and sshd, reached by Ansible over SSH."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from hatool.cli import main
from hatool.lab.hosts import LabHostControl
from hatool.lab.plan import Lab, Shape
from tests.helpers import ansible, lab_down, lab_up, ssh_answers

pytestmark = pytest.mark.lab


def test_every_host_answers_ansible_ping_over_ssh(stacked_lab: Lab) -> None:
    done = ansible(stacked_lab.inventory_path, "all", "-m", "ansible.builtin.ping")
    assert done.returncode == 0, done.stdout + done.stderr
    for host in ("master-1", "master-2", "master-3", "lb-1"):
        assert f"{host} | SUCCESS" in done.stdout


def test_systemd_is_running_on_every_host(stacked_lab: Lab) -> None:
    done = ansible(
        stacked_lab.inventory_path, "all", "-m", "ansible.builtin.command",
        "-a", "systemctl is-system-running",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("\nrunning") == 4, done.stdout


def test_hosts_run_as_themselves_with_their_own_host_keys(stacked_lab: Lab) -> None:
    keys = set()
    for host in stacked_lab.controls():
        assert host.exec(["hostname"]).stdout.strip() == host.name
        keys.add(host.exec(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).stdout.split()[1])
    assert len(keys) == len(stacked_lab.hosts)


def test_hosts_have_none_of_the_components_hatool_installs(stacked_lab: Lab) -> None:
    probe = (
        "for c in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd etcdctl "
        "nginx; do command -v $c; done; ls /usr/local/bin; dpkg -l | grep -E 'nginx|etcd|kube'"
    )
    for host in stacked_lab.controls():
        done = host.exec(["bash", "-c", probe], check=False)
        assert done.stdout.strip() == "", f"{host.name} already has: {done.stdout}"


def test_key_is_private_and_status_lists_every_host(
    stacked_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stacked_lab.key_path.stat().st_mode & 0o777 == 0o600
    assert main(["lab", "status", "--name", stacked_lab.name, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(h["host"], h["state"], h["network"]) for h in status["hosts"]] == [
        (h.name, "running", "connected") for h in stacked_lab.hosts
    ]


def test_up_again_is_a_no_op_and_a_new_shape_is_refused(
    stacked_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [h.exec(["cat", "/etc/machine-id"]).stdout for h in stacked_lab.controls()]
    assert main(["lab", "up", "--name", stacked_lab.name]) == 0
    assert [h.exec(["cat", "/etc/machine-id"]).stdout for h in stacked_lab.controls()] == ids
    capsys.readouterr()
    assert main(["lab", "up", "--name", stacked_lab.name, "--masters", "5"]) == 2
    assert f"hatool lab down --name {stacked_lab.name}" in capsys.readouterr().err


def _wait(predicate: object, want: bool, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate() == want:  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


def test_host_controls_change_reachability(stacked_lab: Lab) -> None:
    host: LabHostControl = stacked_lab.host("master-3")
    assert ssh_answers(host.address)

    host.stop()
    assert host.state() == "exited"
    assert not ssh_answers(host.address)
    host.start()
    assert _wait(lambda: ssh_answers(host.address), True)

    host.pause()
    assert host.state() == "paused"
    assert not ssh_answers(host.address, timeout=1.0)
    host.unpause()
    assert ssh_answers(host.address)

    host.disconnect()
    assert not host.connected()
    assert not ssh_answers(host.address, timeout=1.0)
    host.connect()
    assert host.connected()
    assert _wait(lambda: ssh_answers(host.address), True)

    host.kill()
    assert host.state() == "exited"
    host.start()
    assert _wait(lambda: ssh_answers(host.address), True)


def _docker_names(*args: str) -> list[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_external_lab_beside_stacked_and_down_leaves_nothing(stacked_lab: Lab) -> None:
    name = f"t-{os.getpid()}-x"
    lab = lab_up(name, "--topology", "external")
    try:
        assert lab.shape() == Shape("external", 3, 3, 1)
        assert lab.subnet != stacked_lab.subnet
        done = ansible(lab.inventory_path, "etcd", "-m", "ansible.builtin.ping")
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count("SUCCESS") == 3
    finally:
        lab_down(name)
    containers = _docker_names("ps", "-a", "--format", "{{.Names}}")
    networks = _docker_names("network", "ls", "--format", "{{.Name}}")
    assert not [c for c in containers if c.startswith(f"hatool-{name}-")]
    assert f"hatool-{name}" not in networks
    assert not lab.dir.exists()
    # the other lab is untouched
    assert all(f"hatool-{stacked_lab.name}-{h.name}" in containers for h in stacked_lab.hosts)
    assert f"hatool-{stacked_lab.name}" in networks
    # and down twice is harmless
    assert main(["lab", "down", "--name", name]) == 0


def test_no_docker_engine_gives_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert main(["lab", "up", "--name", "t-nodocker"]) == 2
    err = capsys.readouterr().err
    assert "no Docker engine answers at unix:///nonexistent.sock" in err
    assert "scripts/docker-engine" in err
    assert "Traceback" not in err
