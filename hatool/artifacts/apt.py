"""Debian's archive as this machine's apt configuration names it, and private apt runs.

hatool never names an archive host itself: it reads the URL of the entry
that serves ``bookworm main`` from the machine's own sources, and uses the
same archive for the other suites it needs (``bullseye`` for Go 1.15).
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hatool.errors import CommandFailed, HatoolError

APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


@dataclass(frozen=True)
class AptEntry:
    types: tuple[str, ...]
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def _parse_one_line(text: str) -> list[AptEntry]:
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = shlex.split(line)
        if not words or words[0] not in ("deb", "deb-src"):
            continue
        rest = [w for w in words[1:] if not (w.startswith("[") or w.endswith("]"))]
        if len(rest) < 2:
            continue
        entries.append(AptEntry((words[0],), rest[0], (rest[1],), tuple(rest[2:])))
    return entries


def _parse_deb822(text: str) -> list[AptEntry]:
    entries = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for raw in stanza.splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw[0].isspace() and key:
                fields[key] += " " + raw.strip()
                continue
            key, _, value = raw.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "uris" not in fields:
            continue
        for uri in fields["uris"].split():
            entries.append(
                AptEntry(
                    tuple(fields.get("types", "deb").split()),
                    uri,
                    tuple(fields.get("suites", "").split()),
                    tuple(fields.get("components", "").split()),
                )
            )
    return entries


def parse_sources(paths: Iterable[Path] = APT_SOURCES) -> list[AptEntry]:
    """Every apt entry in ``paths`` (files, or folders of ``.list``/``.sources`` files)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".list", ".sources"))
        elif path.is_file():
            files.append(path)
    entries: list[AptEntry] = []
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        entries += _parse_deb822(text) if file.suffix == ".sources" else _parse_one_line(text)
    return entries


def debian_archive(paths: Iterable[Path] = APT_SOURCES, suite: str = "bookworm") -> str:
    """The URL of the archive that serves ``<suite> main`` as a ``deb`` entry."""
    for entry in parse_sources(paths):
        if "deb" in entry.types and suite in entry.suites and "main" in entry.components:
            return entry.uri.rstrip("/")
    raise HatoolError(
        f"no apt entry serves '{suite} main' in /etc/apt/sources.list or "
        "/etc/apt/sources.list.d/; hatool takes Debian's archive URL from there"
    )


class PrivateApt:
    """apt-get with its own source list, lists and cache: never the machine's own state."""

    def __init__(self, root: Path, lines: Iterable[str]) -> None:
        self.root = root
        (root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (root / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        self.sources = root / "sources.list"
        text = "".join(f"{line}\n" for line in lines)
        if not self.sources.exists() or self.sources.read_text() != text:
            self.sources.write_text(text)
        self._updated = False

    def _options(self) -> list[str]:
        return [
            f"-o=Dir::Etc::SourceList={self.sources}",
            "-o=Dir::Etc::SourceParts=/dev/null",
            f"-o=Dir::State::Lists={self.root / 'lists'}",
            f"-o=Dir::Cache={self.root / 'cache'}",
            # This machine's installed packages are none of a private run's business
            # (an installed package of the same name may otherwise make apt refuse).
            "-o=Dir::State::status=/dev/null",
            "-o=APT::Get::List-Cleanup=0",
            "-o=Debug::NoLocking=1",
        ]

    def run(self, args: list[str], cwd: Path) -> None:
        argv = ["apt-get", "-q", *self._options(), *args]
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CommandFailed(argv, done.returncode, done.stderr[-2000:])

    def update(self) -> None:
        if not self._updated:
            self.run(["update"], cwd=self.root)
            self._updated = True

    def download(self, packages: list[str], dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        self.update()
        self.run(["download", *packages], cwd=dest)

    def source(self, package: str, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        self.update()
        self.run(["source", "--download-only", package], cwd=dest)


def signed_by() -> str:
    return f"[signed-by={KEYRING}]" if KEYRING.exists() else ""
