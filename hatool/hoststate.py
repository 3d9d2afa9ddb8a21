"""What a role left on a host, in one look: the state behind a no-change re-run.

A role that finishes on a host records there (``/var/lib/hatool/roles/<role>.json``)
a *snapshot* of everything it manages: each path's type, owner, group and mode,
and for a regular file its size, mtime and ctime (the kernel sets ctime on every
write, chmod or chown, and nobody can set it back); each systemd unit's load,
active and enabled states; users, groups and packages; the interface that holds
the host's address. Beside it, digests of the role's *inputs* on the controller
(the cluster, the role's variables, hatool's roles and plugins, the certificates
and keys).

The next run looks once (:func:`look`, run on the host by
``plugins/action/hatool_converged.py`` as ``python3 -c``): when the snapshot and
the inputs are what was recorded, nothing the role would do can differ, and the
role ends on that host. Any difference (a file edited, even to the same bytes, a
mode changed, a unit stopped or disabled, a variable, certificate or hatool
itself changed) runs the whole role, with every check it makes.

This file runs on the host with the standard library only: keep it so.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Where a role's record lives on the host (root only).
STATE_DIR = "/var/lib/hatool/roles"
#: The unit properties a snapshot keeps, in order.
UNIT_PROPERTIES = ("LoadState", "ActiveState", "UnitFileState")


def _owner(uid: int, gid: int) -> str:
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    return f"{user}:{group}"


def describe_path(path: str) -> str:
    """One path as a line: ``absent``, ``link TARGET``, ``dir MODE OWNER:GROUP`` or
    ``file MODE OWNER:GROUP SIZE MTIME CTIME`` (times in nanoseconds)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "absent"
    except NotADirectoryError:
        return "absent"
    mode = f"{stat.S_IMODE(info.st_mode):04o}"
    owner = _owner(info.st_uid, info.st_gid)
    if stat.S_ISLNK(info.st_mode):
        return f"link {Path(path).readlink()}"
    if stat.S_ISDIR(info.st_mode):
        # not its times: they change whenever another role adds a file to it
        return f"dir {mode} {owner}"
    if stat.S_ISREG(info.st_mode):
        return f"file {mode} {owner} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}"
    return f"other {mode} {owner}"


def describe_tree(root: str) -> dict[str, str]:
    """Every path below ``root`` (itself included), by :func:`describe_path`."""
    found = {root: describe_path(root)}
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs) + sorted(files):
            path = str(Path(folder) / name)
            found[path] = describe_path(path)
    return found


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return ""
    return done.stdout


def describe_units(units: list[str]) -> dict[str, str]:
    """Each unit as ``LOAD ACTIVE ENABLED`` (``not-found inactive -`` for one not there)."""
    if not units:
        return {}
    out = _run(["systemctl", "show", "--property=" + ",".join(UNIT_PROPERTIES), "--", *units])
    blocks = out.strip().split("\n\n") if out.strip() else []
    found: dict[str, str] = {}
    for unit, block in zip(units, blocks, strict=False):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        found[unit] = " ".join(props.get(name) or "-" for name in UNIT_PROPERTIES)
    for unit in units:
        found.setdefault(unit, "unknown")
    return found


def describe_users(users: list[str]) -> dict[str, str]:
    found = {}
    for name in users:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            found[name] = "absent"
            continue
        found[name] = f"{entry.pw_uid} {entry.pw_gid} {entry.pw_dir} {entry.pw_shell}"
    return found


def describe_groups(groups: list[str]) -> dict[str, str]:
    found = {}
    for name in groups:
        try:
            found[name] = str(grp.getgrnam(name).gr_gid)
        except KeyError:
            found[name] = "absent"
    return found


def describe_packages(packages: list[str]) -> dict[str, str]:
    """Each package as ``STATUS VERSION`` from dpkg (``absent`` when dpkg does not know it)."""
    if not packages:
        return {}
    fields = "--showformat=${Package} ${db:Status-Status} ${Version}\\n"
    out = _run(["dpkg-query", "--show", fields, *packages])
    found = dict.fromkeys(packages, "absent")
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        if name in found:
            found[name] = rest
    return found


def interface_of(address: str) -> str:
    """The network interface that holds ``address`` (``none`` when none does)."""
    for line in _run(["ip", "-o", "-4", "addr", "show"]).splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3].split("/")[0] == address:
            return fields[1]
    return "none"


def snapshot(spec: dict[str, Any]) -> dict[str, Any]:
    """What the host has now of everything ``spec`` names."""
    paths: dict[str, str] = {}
    for path in spec.get("paths") or []:
        paths[path] = describe_path(path)
    for root in spec.get("trees") or []:
        paths.update(describe_tree(root))
    taken: dict[str, Any] = {"paths": paths}
    taken["units"] = describe_units(list(spec.get("units") or []))
    taken["users"] = describe_users(list(spec.get("users") or []))
    taken["groups"] = describe_groups(list(spec.get("groups") or []))
    taken["packages"] = describe_packages(list(spec.get("packages") or []))
    if spec.get("address"):
        taken["interface"] = interface_of(str(spec["address"]))
    return taken


def state_file(role: str) -> str:
    return f"{STATE_DIR}/{role}.json"


def read_record(role: str) -> Any:
    try:
        return json.loads(Path(state_file(role)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_record(role: str, record: dict[str, Any]) -> None:
    """Replace the role's record in one rename (root only, 0600)."""
    Path(STATE_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
    target = state_file(role)
    partial = f"{target}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, sort_keys=True)
    Path(partial).replace(target)


def look(request: dict[str, Any]) -> dict[str, Any]:
    """The host's answer: its snapshot now, its record, and the two facts the roles use.

    With ``request["record"]`` (the inputs' digests) the snapshot is recorded too.
    """
    role = str(request["role"])
    now = snapshot(request["spec"])
    if request.get("record") is not None:
        write_record(role, {"inputs": request["record"], "snapshot": now})
    uname = os.uname()
    return {
        "snapshot": now,
        "record": read_record(role),
        "facts": {"architecture": uname.machine, "nodename": uname.nodename},
    }


def _kind(line: str) -> str:
    return line.split(" ", 1)[0]


def _path_change(path: str, was: str, now: str) -> str:
    if _kind(was) == _kind(now) == "file" and was.split()[1:3] == now.split()[1:3]:
        return f"{path}: written since (content or times)"
    return f"{path}: {now} (was {was})"


def differences(recorded: Any, now: dict[str, Any], inputs: dict[str, str]) -> list[str]:
    """Why the host is not as the role left it, one reason a line ([] when it is)."""
    if not isinstance(recorded, dict) or "snapshot" not in recorded:
        return ["no record of this role on the host (a first run, or one that did not finish)"]
    reasons = [
        f"{INPUT_NAMES.get(name, name)} changed"
        for name in sorted(set(inputs) | set(recorded.get("inputs") or {}))
        if inputs.get(name) != (recorded.get("inputs") or {}).get(name)
    ]
    was = recorded["snapshot"]
    for section in ("paths", "units", "users", "groups", "packages"):
        before, after = was.get(section) or {}, now.get(section) or {}
        for key in sorted(set(before) | set(after)):
            missing = ("absent", "absent") if section == "paths" else ("-", "-")
            old, new = before.get(key, missing[0]), after.get(key, missing[1])
            if old == new:
                continue
            if section == "paths":
                reasons.append(_path_change(key, old, new))
            else:
                reasons.append(f"{section[:-1]} {key}: {new} (was {old})")
    if was.get("interface") != now.get("interface"):
        reasons.append(f"interface: {now.get('interface')} (was {was.get('interface')})")
    return reasons


#: How :func:`differences` names each digest of the inputs.
INPUT_NAMES = {
    "cluster": "the cluster (inventory)",
    "variables": "the role's variables",
    "code": "hatool's roles or plugins",
    "files": "the certificates, keys or kubeconfigs on the controller",
}


if __name__ == "__main__":
    print(json.dumps(look(json.loads(sys.argv[1]))))
