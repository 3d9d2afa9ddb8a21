"""What a host's control-plane processes and files look like, asked over SSH in one go.

One shell script per host (as root) prints, for each unit, the user its main
process runs as and its command line (from ``/proc/<pid>/cmdline``, as
:func:`hatool.verify.probes.running_flags` reads it), the mode, owner, group
and type of every file under the folders asked for, and the sha256 of a few
files. Nothing else leaves the host: no file's content, so no key material.
:mod:`hatool.verify.cis` judges what comes back.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from hatool.verify.remote import Remote
from hatool.verify.target import Node

#: How the script prints one file: mode (octal), user, group, type (f, d, l...), path.
FIND_FORMAT = "%m %u %g %y %p\\n"


@dataclass(frozen=True)
class FileInfo:
    path: str
    mode: int
    user: str
    group: str
    kind: str  # find's %y: f file, d directory, l link

    @property
    def owner(self) -> str:
        return f"{self.user}:{self.group}"


@dataclass
class Process:
    """A unit's main process: who it runs as, and its ``--flag=value`` arguments."""

    user: str
    flags: dict[str, str] = field(default_factory=dict)


@dataclass
class HostFacts:
    """What the probe saw on one host. ``reached`` is false when SSH or the script failed."""

    host: str
    reached: bool = True
    error: str = ""
    processes: dict[str, Process] = field(default_factory=dict)
    files: dict[str, FileInfo] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)

    def process(self, unit: str) -> Process | None:
        return self.processes.get(unit)

    def file(self, path: str) -> FileInfo | None:
        return self.files.get(path)

    def under(self, folder: str, *suffixes: str) -> list[FileInfo]:
        """Every file seen in ``folder`` (and below), the folder itself included when no
        ``suffixes`` are given; with ``suffixes``, regular files whose names end so."""
        root = PurePosixPath(folder)
        found = []
        for info in self.files.values():
            path = PurePosixPath(info.path)
            if path != root and root not in path.parents:
                continue
            if suffixes and not (info.kind == "f" and info.path.endswith(suffixes)):
                continue
            found.append(info)
        return sorted(found, key=lambda i: i.path)


@dataclass(frozen=True)
class Ask:
    """What to ask one host."""

    units: tuple[str, ...] = ()
    #: folders listed with everything below them
    trees: tuple[str, ...] = ()
    #: single files (or folders) listed on their own
    paths: tuple[str, ...] = ()
    #: files whose sha256 is wanted
    hashes: tuple[str, ...] = ()
    #: units whose folder of --FLAG=FILE is listed too (one level): (unit, flag)
    flag_folders: tuple[tuple[str, str], ...] = ()


def script(ask: Ask) -> str:
    """The shell script that prints what ``ask`` wants, section by section."""
    lines = []
    for unit in ask.units:
        q = shlex.quote(unit)
        lines.append(
            f"echo '==unit {unit}'; pid=$(systemctl show -p MainPID --value {q}); "
            'if [ "${pid:-0}" -gt 0 ] 2>/dev/null; then '
            'echo "==user $(stat -c %U /proc/$pid)"; '
            "tr '\\0' '\\n' < /proc/$pid/cmdline; echo; fi"
        )
    lines.append("echo '==files'")
    lines += [f"find {shlex.quote(t)} -xdev -printf '{FIND_FORMAT}' 2>/dev/null" for t in ask.trees]
    lines += [
        f"find {shlex.quote(p)} -maxdepth 0 -printf '{FIND_FORMAT}' 2>/dev/null" for p in ask.paths
    ]
    for unit, flag in ask.flag_folders:
        q = shlex.quote(unit)
        lines.append(
            f"pid=$(systemctl show -p MainPID --value {q}); "
            'if [ "${pid:-0}" -gt 0 ] 2>/dev/null; then '
            f"f=$(tr '\\0' '\\n' < /proc/$pid/cmdline | sed -n 's|^{flag}=||p' | head -n1); "
            '[ -n "$f" ] && find "$(dirname "$f")" -maxdepth 1 -xdev '
            f"-printf '{FIND_FORMAT}' 2>/dev/null; fi"
        )
    lines.append("echo '==sha256'")
    lines += [f"sha256sum {shlex.quote(h)} 2>/dev/null" for h in ask.hashes]
    lines.append("true")
    return "\n".join(lines)


def parse(host: str, output: str) -> HostFacts:
    """The facts in the script's output."""
    facts = HostFacts(host)
    section, unit = "", ""
    for line in output.splitlines():
        if line.startswith("==unit "):
            section, unit = "unit", line.removeprefix("==unit ").strip()
            continue
        if line.startswith("==user ") and section == "unit":
            facts.processes[unit] = Process(line.removeprefix("==user ").strip())
            continue
        if line in ("==files", "==sha256"):
            section = line.removeprefix("==")
            continue
        if section == "unit" and line.startswith("--") and unit in facts.processes:
            name, _, value = line.partition("=")
            facts.processes[unit].flags[name] = value if "=" in line else "true"
        elif section == "files":
            parts = line.split(" ", 4)
            if len(parts) == 5 and parts[0].isdigit():
                mode, user, group, kind, path = parts
                facts.files[path] = FileInfo(path, int(mode, 8), user, group, kind)
        elif section == "sha256":
            digest, _, path = line.partition("  ")
            if path:
                facts.sha256[path.strip()] = digest
    return facts


def gather(remote: Remote, asks: Iterable[tuple[Node, Ask]]) -> dict[str, HostFacts]:
    """Run each host's script (one SSH command per host); host name -> facts."""
    found = {}
    for node, ask in asks:
        result = remote.run(node, script(ask), timeout=60)
        if not result.ok:
            reason = (result.stderr or result.stdout).strip()[:200]
            found[node.name] = HostFacts(node.name, reached=False, error=reason or "no answer")
        else:
            found[node.name] = parse(node.name, result.stdout)
    return found
