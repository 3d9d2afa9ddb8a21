"""Every call hatool makes to Docker, through its command-line client."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from hatool.errors import EXIT_BAD_INPUT, CommandFailed, HatoolError


def _where() -> str:
    return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


def run(*args: str, check: bool = True, input_bytes: bytes | None = None) -> str:
    """Run ``docker ARGS`` and return its standard output."""
    argv = ["docker", *args]
    try:
        done = subprocess.run(argv, capture_output=True, input=input_bytes, check=False)
    except FileNotFoundError as exc:
        raise HatoolError(
            "the docker command is not installed; run 'bash scripts/setup' (installs docker.io)",
            exit_code=EXIT_BAD_INPUT,
        ) from exc
    if check and done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stderr.decode(errors="replace"))
    return done.stdout.decode(errors="replace")


def ensure_engine() -> None:
    """Fail with a clear message when no Docker engine answers."""
    argv = ["docker", "info", "--format", "{{.ServerVersion}}"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=20)
    except FileNotFoundError as exc:
        raise HatoolError(
            "the docker command is not installed; run 'bash scripts/setup' (installs docker.io)",
            exit_code=EXIT_BAD_INPUT,
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise HatoolError(f"the Docker engine at {_where()} does not answer (20s)") from exc
    if done.returncode != 0 or not done.stdout.strip():
        raise HatoolError(
            f"no Docker engine answers at {_where()}: start one with 'bash scripts/docker-engine' "
            "(installs Debian's docker.io if needed and starts dockerd), or run 'dockerd &'",
            exit_code=EXIT_BAD_INPUT,
        )


def inspect(kind: str, name: str) -> dict[str, Any] | None:
    """``docker KIND inspect NAME`` as a dict, or ``None`` if it does not exist."""
    argv = ["docker", kind, "inspect", name]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    data = json.loads(done.stdout)
    return data[0] if data else None


def names(kind: str, label: str) -> list[str]:
    """Names of the containers (``kind='ps'``) or networks with ``label``."""
    if kind == "ps":
        out = run("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
    else:
        out = run("network", "ls", "--filter", f"label={label}", "--format", "{{.Name}}")
    return sorted(line for line in out.splitlines() if line)


def network_subnets() -> set[str]:
    """Every IPv4 subnet that an existing Docker network uses."""
    subnets: set[str] = set()
    ids = run("network", "ls", "-q").split()
    if not ids:
        return subnets
    for net in json.loads(run("network", "inspect", *ids)):
        for config in (net.get("IPAM") or {}).get("Config") or []:
            if config.get("Subnet"):
                subnets.add(config["Subnet"])
    return subnets
