"""Install a set of controller files on a host with one look at the host.

Ansible's ``copy`` in a loop stats each destination in its own round trip,
which is most of a no-change run's time. :func:`probe_command` asks the host
about every destination at once (owner, group, mode, sha256), :func:`parse`
reads the answer and :func:`stale` says which files differ from the
controller's, so that only those are copied. :func:`sha256_file` is the one
file digest of the package (artifacts, snapshots, file sets).
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass
from pathlib import Path

#: What the probe prints for a destination that is not a file.
ABSENT = "absent"
#: ... and for one whose folder does not exist yet (check mode on a new host).
NO_FOLDER = "nofolder"


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Wanted:
    """One file as it should be on the host."""

    src: Path
    dest: str
    owner: str | None
    group: str | None
    mode: int | None

    def sha256(self) -> str:
        return sha256_file(self.src)


@dataclass(frozen=True)
class Found:
    """One destination as the host has it (``state`` is ``file``, ABSENT or NO_FOLDER)."""

    state: str
    owner: str = ""
    group: str = ""
    mode: int = 0
    sha256: str = ""


def probe_command(dests: list[str]) -> str:
    """A POSIX shell command printing one line per destination: ``STATE SHA256 PATH``.

    STATE is ``MODE:OWNER:GROUP`` (mode in octal) for a regular file.
    """
    quoted = " ".join(shlex.quote(dest) for dest in dests)
    return (
        f"for f in {quoted}; do "
        'if [ -f "$f" ]; then '
        'printf "%s %s %s\\n" "$(stat -c %a:%U:%G -- "$f")" '
        '"$(sha256sum < "$f" | cut -c1-64)" "$f"; '
        f'elif [ -d "$(dirname -- "$f")" ]; then printf "{ABSENT} - %s\\n" "$f"; '
        f'else printf "{NO_FOLDER} - %s\\n" "$f"; fi; done'
    )


def parse(stdout: str) -> dict[str, Found]:
    """The probe's answer, by destination path."""
    found: dict[str, Found] = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 2)
        if len(parts) != 3:
            continue
        state, digest, path = parts
        if state in (ABSENT, NO_FOLDER):
            found[path] = Found(state)
            continue
        mode, owner, group = state.split(":", 2)
        found[path] = Found("file", owner, group, int(mode, 8), digest)
    return found


def stale(wanted: Wanted, found: Found | None) -> bool:
    """Whether the host's copy differs from the wanted file in content, owner, group or mode."""
    if found is None or found.state != "file":
        return True
    return (
        found.sha256 != wanted.sha256()
        or (wanted.owner is not None and found.owner != wanted.owner)
        or (wanted.group is not None and found.group != wanted.group)
        or (wanted.mode is not None and found.mode != wanted.mode)
    )
