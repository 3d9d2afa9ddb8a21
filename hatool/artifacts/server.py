"""Serve the artifact mirror over HTTP to the lab's hosts.

The roles always install binaries the same way: download from a URL and
verify a sha256. In the lab that URL points at this server, which serves
the mirror tree of the artifact cache (the same layout as the official
download locations), so the tests run the real download-and-verify path.

Run in the foreground with ``python -m hatool.artifacts.server --root DIR
--bind ADDR --port N``; :func:`start` runs it detached with a pid file.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hatool.errors import HatoolError


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files read-only and logs one line per request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def serve(root: Path, bind: str, port: int) -> None:
    """Serve ``root`` on ``bind:port`` until killed."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    with ThreadingHTTPServer((bind, port), handler) as httpd:
        httpd.serve_forever()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` if that process still runs."""
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _answers(bind: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((bind, port), timeout=0.5):
        return True
    return False


def start(root: Path, bind: str, port: int, pidfile: Path, logfile: Path) -> int:
    """Start the server detached unless the one in ``pidfile`` runs; return its pid."""
    pid = running_pid(pidfile)
    if pid is not None:
        return pid
    if not root.is_dir():
        raise HatoolError(f"artifact mirror {root} does not exist; run 'hatool artifacts' first")
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hatool.artifacts.server",
                "--root",
                str(root),
                "--bind",
                bind,
                "--port",
                str(port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HatoolError(
                f"artifact server on {bind}:{port} exited with code {proc.returncode};"
                f" see {logfile}"
            )
        if _answers(bind, port):
            return proc.pid
        time.sleep(0.1)
    raise HatoolError(f"artifact server on {bind}:{port} did not answer within 10s; see {logfile}")


def stop(pidfile: Path) -> None:
    """Stop the server named in ``pidfile``, if it runs, and remove the file."""
    pid = running_pid(pidfile)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    pidfile.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(args.root, args.bind, args.port)


if __name__ == "__main__":
    main()
