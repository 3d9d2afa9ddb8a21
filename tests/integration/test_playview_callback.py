"""The events callback inside a real ansible-playbook run (local hosts, no SSH).

hatool's run gets the progress view and keeps Ansible's output in a log; a
plain ``ansible-playbook`` run keeps Ansible's normal output, untouched.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatool.ansible import tool
from hatool.errors import CommandFailed
from hatool.paths import PROJECT_ROOT
from hatool.playview.events import read_events
from hatool.playview.runner import RunFiles, ViewedRun, ending, run_and_show, run_viewed

PLAYBOOK = PROJECT_ROOT / "tests" / "playbooks" / "events.yml"
SECRET = "s3cr3t-value-that-must-never-show"  # noqa: S105 - a canary, not a credential


def inventory(folder: Path) -> Path:
    path = folder / "hosts.yml"
    local = f"{{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}"
    path.write_text(
        f"all:\n  vars:\n    secret_value: {SECRET}\n  hosts:\n    h1: {local}\n    h2: {local}\n"
    )
    return path


def argv(folder: Path) -> list[str]:
    return [tool("ansible-playbook"), "-i", str(inventory(folder)), str(PLAYBOOK)]


@pytest.fixture(scope="module")
def viewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ViewedRun, str]:
    folder = tmp_path_factory.mktemp("playview")
    out = io.StringIO()
    result = run_viewed(
        argv(folder), RunFiles.new(folder / "logs", "deploy"), stream=out, tty=False
    )
    return result, out.getvalue()


def test_hatools_run_shows_phases_and_failures_and_passes_the_exit_code(
    viewed: tuple[ViewedRun, str],
) -> None:
    result, printed = viewed
    assert result.returncode == 2
    assert [p.label for p in result.run.phases] == ["etcd", "check"]
    lines = printed.splitlines()
    assert any(line.startswith("[") and "Run the first phase" in line and "FAILED on h2" in line
               for line in lines)  # fmt: skip
    assert "FAILED h1 in check: Fail with a message" in lines
    assert "    broken on purpose" in lines
    assert "TASK [" not in printed  # Ansible's own stream went to the log
    end = ending(result)
    assert str(result.files.log) in end
    assert end.splitlines()[0].split()[:3] == ["host", "ok", "changed"]


def test_ansibles_output_and_the_timings_are_in_the_log(viewed: tuple[ViewedRun, str]) -> None:
    result, _ = viewed
    log = result.files.log.read_text()
    assert "PLAY RECAP" in log
    assert "TASK [Fail with a message]" in log
    assert "TIMINGS (hatool_events)" in log
    assert "per role:" in log
    assert "\x1b[" not in log
    timings = json.loads(result.files.timings.read_text())
    assert {p["label"] for p in timings["phases"]} == {"etcd", "check"}
    assert timings["hosts"]["h2"]["failed"] == 1
    events = read_events(result.files.events)
    assert [e["event"] for e in events][:2] == ["playbook", "play"]
    assert events[-1]["event"] == "stats"
    assert {e["host"] for e in events if e["event"] == "result"} == {"h1", "h2"}


def test_no_log_keeps_the_secret_out_of_every_file_and_the_terminal(
    viewed: tuple[ViewedRun, str],
) -> None:
    result, printed = viewed
    (secret_failure,) = [f for f in result.run.failures if f.task == "Handle a secret"]
    assert "no_log: true" in secret_failure.message
    for path in (result.files.log, result.files.events, result.files.timings):
        assert SECRET not in path.read_text(), path
        assert path.stat().st_mode & 0o777 == 0o600
    assert SECRET not in printed


def test_plain_ansible_playbook_keeps_its_normal_output(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ANSIBLE_CALLBACKS_ENABLED", "HATOOL_EVENTS")
    }
    env.update(ANSIBLE_CONFIG=str(PROJECT_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    done = subprocess.run(argv(tmp_path), capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert "TASK [Change something]" in done.stdout
    assert "PLAY RECAP" in done.stdout
    assert "TIMINGS (hatool_events)" not in done.stdout


def test_a_command_shows_the_run_and_passes_ansibles_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CommandFailed) as failed:
        run_and_show(argv(tmp_path), tmp_path / "cluster", "restart", "restart: hosts.yml")
    assert failed.value.exit_code == 2
    printed = capsys.readouterr().out
    log = next((tmp_path / "cluster" / "logs").glob("restart-*.log"))
    assert printed.startswith(f"restart: hosts.yml; Ansible's output goes to {log}\n")
    assert f"Ansible's output: {log}" in printed
    assert "FAILED h1 in check: Fail with a message" in printed
