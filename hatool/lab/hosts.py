"""Act on one running lab host: stop, start, kill, pause, cut off the network, run a command.

The failover drills, molecule and the lab's own lifecycle use these controls;
get one from a lab with :meth:`hatool.lab.plan.Lab.host`.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

from hatool.errors import CommandFailed
from hatool.lab import docker


@dataclass(frozen=True)
class LabHostControl:
    """The container of one lab host, with its address on the lab network."""

    name: str
    address: str
    container: str
    network: str

    def _inspect(self) -> dict[str, Any] | None:
        return docker.inspect("container", self.container)

    def state(self) -> str:
        """``running``, ``paused``, ``exited``, ... or ``missing``."""
        info = self._inspect()
        return "missing" if info is None else str(info["State"]["Status"])

    def connected(self) -> bool:
        info = self._inspect()
        return info is not None and self.network in (info["NetworkSettings"]["Networks"] or {})

    def stop(self, timeout: int = 10) -> None:
        docker.run("stop", "-t", str(timeout), self.container)

    def start(self) -> None:
        docker.run("start", self.container)

    def kill(self, signal: str = "KILL") -> None:
        docker.run("kill", "--signal", signal, self.container)

    def pause(self) -> None:
        docker.run("pause", self.container)

    def unpause(self) -> None:
        docker.run("unpause", self.container)

    def destroy(self) -> None:
        """Remove the container and its disk: the host is gone for good."""
        docker.run("rm", "-f", "-v", self.container)

    def disconnect(self) -> None:
        """Cut the host off the lab network (it keeps running)."""
        docker.run("network", "disconnect", self.network, self.container)

    def connect(self) -> None:
        """Put the host back on the lab network, with the same address."""
        docker.run("network", "connect", "--ip", self.address, self.network, self.container)

    def exec(
        self, argv: list[str], *, check: bool = True, input_bytes: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the host as root."""
        cmd = ["docker", "exec", "-i", self.container, *argv]
        done = subprocess.run(
            cmd, input=input_bytes.decode() if input_bytes else None,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise CommandFailed(cmd, done.returncode, done.stderr)
        return done
