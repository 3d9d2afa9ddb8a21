"""hatool.files: one probe of many destinations, and which of them differ from the controller's."""

from __future__ import annotations

import getpass
import grp
import os
import subprocess
from pathlib import Path

from hatool.files import ABSENT, NO_FOLDER, Found, Wanted, parse, probe_command, stale


def _probe(dests: list[str]) -> dict[str, Found]:
    out = subprocess.run(
        ["sh", "-c", probe_command(dests)], check=False, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return parse(out.stdout)


def test_the_probe_reads_every_destination_in_one_command(tmp_path: Path) -> None:
    there = tmp_path / "with space.crt"
    there.write_text("cert\n")
    there.chmod(0o640)
    found = _probe([str(there), str(tmp_path / "absent.key"), str(tmp_path / "no" / "x.key")])
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    wanted = Wanted(there, str(there), user, group, 0o640)
    assert found[str(there)] == Found("file", user, group, 0o640, wanted.sha256())
    assert found[str(tmp_path / "absent.key")].state == ABSENT
    assert found[str(tmp_path / "no" / "x.key")].state == NO_FOLDER
    assert not stale(wanted, found[str(there)])


def test_a_file_is_stale_when_content_owner_group_or_mode_differ(tmp_path: Path) -> None:
    src = tmp_path / "ca.crt"
    src.write_text("new\n")
    wanted = Wanted(src, "/etc/x/ca.crt", "root", "root", 0o600)
    same = Found("file", "root", "root", 0o600, wanted.sha256())
    assert not stale(wanted, same)
    assert stale(wanted, Found("file", "root", "root", 0o600, "0" * 64))
    assert stale(wanted, Found("file", "etcd", "root", 0o600, wanted.sha256()))
    assert stale(wanted, Found("file", "root", "etcd", 0o600, wanted.sha256()))
    assert stale(wanted, Found("file", "root", "root", 0o644, wanted.sha256()))
    assert stale(wanted, Found(ABSENT))
    assert stale(wanted, None)
    anyone = Wanted(src, "/etc/x/ca.crt", None, None, None)
    assert not stale(anyone, Found("file", "etcd", "etcd", 0o644, wanted.sha256()))
