"""The operator's view of a playbook run, from canned events: phases, counters, failures, times."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hatool.playview.events import EventTail, EventWriter, failure_message, read_events
from hatool.playview.render import View, failure_block, phase_line, summary_table
from hatool.playview.runner import RunFiles, callback_env
from hatool.playview.state import Run, phase_label
from hatool.playview.timings import breakdown, format_breakdown

MASTERS = ["master-1", "master-2", "master-3"]


def play(t: float, name: str, tags: list[str], hosts: list[str] | None) -> dict[str, Any]:
    return {"event": "play", "t": t, "name": name, "tags": tags, "roles": [], "hosts": hosts}


def task(t: float, uuid: str, name: str, role: str = "") -> dict[str, Any]:
    return {"event": "task", "t": t, "uuid": uuid, "name": name, "role": role,
            "path": f"/x/roles/{role or 'none'}/tasks/main.yml:1", "handler": False}  # fmt: skip


def result(
    t: float, host: str, uuid: str, status: str, duration: float, *, message: str = ""
) -> dict[str, Any]:
    event = {
        "event": "result",
        "t": t,
        "host": host,
        "task": uuid,
        "status": status,
        "duration": duration,
    }
    return {**event, "message": message} if message else event


def deploy_events(fail: bool = False) -> list[dict[str, Any]]:
    """A small site.yml run: validate (run once), etcd on three masters, then the recap."""
    events = [
        {"event": "playbook", "t": 100.0, "path": "playbooks/site.yml"},
        play(100.0, "Validate the inventory", ["always"], MASTERS),
        task(100.1, "v1", "Check the inventory against hatool's rules"),
        result(101.0, "master-1", "v1", "ok", 0.9),
        play(101.0, "Run etcd", ["etcd"], MASTERS),
        task(101.0, "e1", "Gathering Facts"),
        *(result(102.0, h, "e1", "ok", 1.0) for h in MASTERS),
        task(102.0, "e2", "etcd : Install etcd", "etcd"),
        *(result(110.0, h, "e2", "changed", 8.0) for h in MASTERS),
        task(110.0, "e3", "Start etcd", "etcd"),
        result(111.0, "master-1", "e3", "changed", 1.0),
        result(112.0, "master-2", "e3", "failed" if fail else "changed", 2.0,
               message="Unable to start service etcd" if fail else ""),
        result(111.5, "master-3", "e3", "changed", 1.5),
    ]  # fmt: skip
    recap = {
        h: {"ok": 3, "changed": 2, "failures": 0, "unreachable": 0, "skipped": 0} for h in MASTERS
    }
    if fail:
        recap["master-2"].update(ok=2, changed=1, failures=1)
    return [*events, {"event": "stats", "t": 113.0, "hosts": recap}]


def folded(events: list[dict[str, Any]]) -> Run:
    run = Run()
    for event in events:
        run.feed(event)
    return run


def test_phase_labels_come_from_the_roles_tags_else_the_plays_first_word() -> None:
    assert phase_label("Run etcd", ["etcd"]) == "etcd"
    assert phase_label("Run x", ["kube_controller_manager", "kube_scheduler"]) == "kcm+sched"
    assert phase_label("Validate the inventory", ["always"]) == "validate"
    assert phase_label("Record what was deployed", ["always"]) == "record"
    assert phase_label("", []) == "play"


def test_a_run_folds_into_phases_with_their_wall_times() -> None:
    run = folded(deploy_events())
    assert [p.label for p in run.phases] == ["validate", "etcd"]
    assert [p.seconds for p in run.phases] == [pytest.approx(1.0), pytest.approx(12.0)]
    assert run.finished
    assert run.seconds == pytest.approx(13.0)
    etcd = run.phases[1]
    assert (etcd.done, etcd.total, etcd.changed) == (3, 3, 6)
    assert etcd.host_seconds == {"master-1": 10.0, "master-2": 11.0, "master-3": 10.5}
    assert run.failures == []


def test_host_counters_follow_ansibles_recap_once_it_is_known() -> None:
    events = deploy_events()
    before = folded(events[:-1]).host_counts()
    assert before["master-2"] == {
        "ok": 3,
        "changed": 2,
        "failed": 0,
        "unreachable": 0,
        "skipped": 0,
    }
    assert before["master-1"]["ok"] == 4  # the validation task counted on the first host
    after = folded(events).host_counts()
    assert after["master-1"] == {"ok": 3, "changed": 2, "failed": 0, "unreachable": 0, "skipped": 0}


def test_while_a_phase_runs_its_line_counts_hosts_through_the_current_task() -> None:
    run = folded(deploy_events()[:16])  # two of three answered "Start etcd"
    phase = run.phases[1]
    assert phase.ended is None
    line = phase_line(run, phase, now=111.5)
    assert "Run etcd" in line
    assert "2/3 hosts" in line
    assert "> Start etcd" in line
    assert "10.5s" in line  # the phase's own clock
    assert line.startswith("[   11.5s]")  # the run's clock


def test_a_finished_phase_says_what_changed_or_where_it_failed() -> None:
    run = folded(deploy_events())
    assert phase_line(run, run.phases[0]).endswith("3/3 hosts     1.0s  no change")
    assert phase_line(run, run.phases[1]).endswith("6 changed")
    failed = folded(deploy_events(fail=True))
    line = phase_line(failed, failed.phases[1])
    assert "2/3 hosts" in line
    assert line.endswith("FAILED on master-2")


def test_a_failure_names_the_task_host_message_and_place() -> None:
    run = folded(deploy_events(fail=True))
    (failure,) = run.failures
    assert (failure.host, failure.task, failure.role, failure.phase) == (
        "master-2", "Start etcd", "etcd", "etcd",
    )  # fmt: skip
    block = failure_block(failure)
    assert block.splitlines()[0] == "FAILED master-2 in etcd: etcd: Start etcd"
    assert "at /x/roles/etcd/tasks/main.yml:1" in block
    assert "    Unable to start service etcd" in block


def test_the_summary_table_has_a_row_per_host_and_a_column_per_phase() -> None:
    table = summary_table(folded(deploy_events(fail=True)))
    lines = table.splitlines()
    assert lines[0].split() == ["host", "ok", "changed", "failed", "unreachable", "skipped",
                                "validate", "etcd"]  # fmt: skip
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["master-2"] == ["2", "1", "1", "0", "0", "-", "11.0s"]
    assert rows["master-1"] == ["3", "2", "0", "0", "0", "0.9s", "10.0s"]
    assert lines[-1].split()[-2:] == ["1.0s", "12.0s"]
    assert len({len(line) for line in lines}) == 1  # aligned


def test_the_view_prints_one_line_per_phase_then_failures_at_once_in_a_log() -> None:
    out = io.StringIO()
    view = View(out, tty=False)
    view.feed(deploy_events(fail=True))
    view.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[    1.0s] Validate the inventory")
    assert lines[1] == "FAILED master-2 in etcd: etcd: Start etcd"
    assert any("Run etcd" in line and "FAILED on master-2" in line for line in lines)
    assert "\r" not in out.getvalue()


def test_on_a_terminal_the_running_phase_is_redrawn_in_place() -> None:
    out = io.StringIO()
    view = View(out, tty=True)
    view.feed(deploy_events()[:11])
    view.tick(now=105.0)
    text = out.getvalue()
    assert "\r\033[K" in text
    assert "> Install etcd" in text.rsplit("\r\033[K", 1)[1]
    view.close()
    assert out.getvalue().endswith("(stopped)\n")


def test_with_verbose_output_the_view_prints_nothing_while_it_runs() -> None:
    out = io.StringIO()
    view = View(out, tty=False, progress=False)
    view.feed(deploy_events(fail=True))
    view.close()
    assert out.getvalue() == ""
    assert "master-2" in view.summary()


def test_the_breakdown_gives_time_per_phase_role_and_task() -> None:
    data = breakdown(folded(deploy_events()))
    assert data["total_seconds"] == 13.0
    assert [(p["label"], p["seconds"]) for p in data["phases"]] == [
        ("validate", 1.0),
        ("etcd", 12.0),
    ]
    roles = {r["role"]: r["seconds"] for r in data["roles"]}
    assert roles == {"etcd": 11.0, "validate (play)": 0.9, "etcd (play)": 1.0}
    assert data["tasks"][0]["name"] == "Install etcd"
    assert data["tasks"][0]["seconds"] == 8.0
    assert data["tasks"][1]["slowest_host_seconds"] == 2.0  # Start etcd: master-2 took longest
    text = format_breakdown(data, top=2)
    assert "per role:" in text
    assert "8.0s  etcd: Install etcd  (roles/etcd/tasks/main.yml:1)" in text
    assert text.count("\n  ") == 2 + 3 + 2
    json.dumps(data)  # plain data


def test_event_files_are_read_as_they_grow(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    tail = EventTail(path)
    assert tail.read() == []  # not there yet
    writer = EventWriter(path)
    writer.write({"event": "play", "t": 1})
    assert tail.read() == [{"event": "play", "t": 1}]
    with path.open("a") as file:
        file.write('{"event": "ta')
    assert tail.read() == []  # half a line waits for its end
    with path.open("a") as file:
        file.write('sk", "t": 2}\n')
    assert tail.read() == [{"event": "task", "t": 2}]
    writer.close()
    assert [e["event"] for e in read_events(path)] == ["play", "task"]


def test_failure_messages_keep_the_message_and_the_end_of_a_commands_output() -> None:
    assert failure_message({"msg": "non-zero return code", "stderr": "a\nb\nboom"}) == (
        "non-zero return code\na\nb\nboom"
    )
    long = {"msg": "x", "stderr": "\n".join(f"line {i}" for i in range(50))}
    assert failure_message(long).splitlines()[1:] == [f"line {i}" for i in range(44, 50)]
    looped = {"msg": "One or more items failed", "results": [
        {"item": "a", "failed": False}, {"item": "b", "failed": True, "msg": "no b"}]}  # fmt: skip
    assert failure_message(looped) == "One or more items failed\nitem b: no b"
    assert failure_message({}) == "(no message; see the log)"
    assert len(failure_message({"msg": "y" * 5000})) < 1300


def test_a_no_log_result_shows_only_ansibles_censored_text() -> None:
    censored = {"censored": "the output has been hidden due to the fact that 'no_log: true' was "
                "specified for this result", "changed": False}  # fmt: skip
    assert failure_message(censored) == censored["censored"]


def test_the_callback_is_enabled_for_hatools_run_beside_the_operators_own() -> None:
    assert callback_env(Path("/e.jsonl"), {}) == {
        "ANSIBLE_CALLBACKS_ENABLED": "hatool_events", "HATOOL_EVENTS": "/e.jsonl",
    }  # fmt: skip
    mine = callback_env(Path("/e"), {"ANSIBLE_CALLBACKS_ENABLED": "junit"})
    assert mine["ANSIBLE_CALLBACKS_ENABLED"] == "junit,hatool_events"
    again = callback_env(Path("/e"), {"ANSIBLE_CALLBACKS_ENABLED": "hatool_events"})
    assert again["ANSIBLE_CALLBACKS_ENABLED"] == "hatool_events"


def test_run_files_sit_in_the_logs_folder_named_by_command_and_time(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    files = RunFiles.new(tmp_path / "logs", "deploy", now)
    assert files.log == tmp_path / "logs" / "deploy-20260102T030405Z.log"
    assert files.events.name == "deploy-20260102T030405Z.events.jsonl"
    assert files.timings.name == "deploy-20260102T030405Z.timings.json"
    assert (tmp_path / "logs").stat().st_mode & 0o777 == 0o700
    files.log.write_text("")
    assert (
        RunFiles.new(tmp_path / "logs", "deploy", now).log.name == "deploy-20260102T030405Z-2.log"
    )


def looked(*reasons: list[str], skip: bool = True) -> list[dict[str, Any]]:
    """A play whose role looked at three masters (hatool_converged), with these reasons."""
    events = [
        play(100.0, "Run kube-scheduler", ["kube_scheduler"], MASTERS),
        task(100.0, "l1", "kube_scheduler : Compare the master", "kube_scheduler"),
    ]
    for host, why in zip(MASTERS, reasons, strict=True):
        event = result(101.0, host, "l1", "ok", 1.0)
        events.append({**event, "converged": not why, "reasons": why, "skip": skip})
    return [*events, {"event": "stats", "t": 102.0, "hosts": {}}]


def test_a_phase_says_whether_its_role_found_its_hosts_as_it_left_them() -> None:
    same = folded(looked([], [], []))
    assert phase_line(same, same.phases[0]).endswith("no change  (as left, skipped)")
    anyway = folded(looked([], [], [], skip=False))
    assert phase_line(anyway, anyway.phases[0]).endswith("(as left, run all the same)")
    drift = folded(looked([], ["unit kube-scheduler: inactive"], ["x: written since"]))
    assert phase_line(drift, drift.phases[0]).endswith(
        "no change  (ran: master-2 (+1 hosts): unit kube-scheduler: inactive)"
    )
