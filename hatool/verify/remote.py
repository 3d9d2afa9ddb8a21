"""Commands on the cluster's hosts over SSH (fabric), as the inventory says to reach them."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from fabric import Connection
from invoke.exceptions import CommandTimedOut

from hatool.errors import HatoolError
from hatool.verify.target import Node

CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Result:
    host: str
    command: str
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Remote:
    """One SSH connection per host, opened on first use and kept for the run."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    def _connect(self, node: Node) -> Connection:
        if node.name in self._connections:
            return self._connections[node.name]
        connect_kwargs: dict[str, Any] = {"banner_timeout": CONNECT_TIMEOUT}
        if node.key_file:
            connect_kwargs["key_filename"] = node.key_file
            connect_kwargs["look_for_keys"] = False
        conn = Connection(
            node.address,
            user=node.user,
            port=node.port,
            connect_timeout=CONNECT_TIMEOUT,
            connect_kwargs=connect_kwargs,
        )
        client: paramiko.SSHClient = conn.client
        if node.known_hosts:
            client.load_host_keys(str(Path(node.known_hosts).expanduser()))
        if node.strict_host_keys:
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        self._connections[node.name] = conn
        return conn

    def run(self, node: Node, command: str, *, sudo: bool = True, timeout: float = 30) -> Result:
        """Run ``command`` (a shell line) on ``node``; never raises for a non-zero exit."""
        line = f"sudo -n sh -c {shlex.quote(command)}" if sudo and node.user != "root" else command
        try:
            done = self._connect(node).run(
                line, hide=True, warn=True, timeout=timeout, in_stream=False
            )
        except paramiko.SSHException as exc:
            self.forget(node)
            if "not found in known_hosts" in str(exc):
                raise HatoolError(
                    f"{node.name} ({node.address}): its SSH host key is not known; connect once "
                    "with ssh, or set UserKnownHostsFile in ansible_ssh_common_args"
                ) from exc
            return Result(node.name, command, 255, "", f"ssh: {exc}")
        except (OSError, EOFError) as exc:
            self.forget(node)
            return Result(node.name, command, 255, "", f"ssh: {exc}")
        except CommandTimedOut as exc:
            self.forget(node)
            return Result(node.name, command, 124, "", f"{type(exc).__name__}: {exc}")
        return Result(node.name, command, done.exited, done.stdout, done.stderr)

    def forget(self, node: Node) -> None:
        conn = self._connections.pop(node.name, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
