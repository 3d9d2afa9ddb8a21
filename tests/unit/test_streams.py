"""The drills' request stream: what it counts, and the one retry of a lost connection."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from hatool.verify import streams
from hatool.verify.api import get
from hatool.verify.streams import LOST_CONNECTION, RequestStream

LOST = "HTTP 0: SSLEOFError: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred"


class Scripted(RequestStream):
    """Answers from a script, one per request sent, then 200s."""

    def __init__(self, script: list[str], *, retry_lost: bool) -> None:
        super().__init__(ssl.create_default_context(), "127.0.0.1", 1, interval=0.0,
                         retry_lost=retry_lost)  # fmt: skip
        self.script, self.sent = list(script), 0

    def request(self) -> tuple[bool, str]:
        self.sent += 1
        detail = self.script.pop(0) if self.script else "HTTP 200: {}"
        return detail.startswith("HTTP 200"), detail

    def run(self, requests: int) -> None:
        start = time.monotonic()
        for _ in range(requests):
            ok, _ = self._attempt(start)
            self.result.requests += 1
            self.result.failures += not ok


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "RETRY_AFTER", 0.0)


def test_a_lost_connection_is_sent_again_once_and_counted_apart() -> None:
    stream = Scripted([LOST], retry_lost=True)
    stream.run(3)
    assert (stream.sent, stream.result.failures) == (4, 0)
    assert [detail for _, detail in stream.result.retried] == [LOST]
    assert "1 lost its connection before an answer and was sent again" in stream.result.describe()


def test_a_request_lost_twice_fails() -> None:
    stream = Scripted([LOST, LOST], retry_lost=True)
    stream.run(2)
    assert (stream.sent, stream.result.failures, len(stream.result.retried)) == (3, 1, 1)


@pytest.mark.parametrize(
    "detail",
    [
        "HTTP 500: etcdserver: leader changed",
        "HTTP 403: forbidden",
        "HTTP 0: ConnectionRefusedError: [Errno 111] Connection refused",
        "HTTP 0: TimeoutError: The read operation timed out",
    ],
)
def test_an_answer_or_a_refusal_is_not_sent_again(detail: str) -> None:
    stream = Scripted([detail], retry_lost=True)
    stream.run(1)
    assert (stream.sent, stream.result.failures, stream.result.retried) == (1, 1, [])


def test_without_retry_lost_a_lost_connection_fails() -> None:
    stream = Scripted([LOST], retry_lost=False)
    stream.run(1)
    assert (stream.sent, stream.result.failures, stream.result.retried) == (1, 1, [])
    assert "sent again" not in stream.result.describe()


@pytest.fixture
def resetting_server() -> Iterator[int]:
    """A listener that resets every connection it accepts (SO_LINGER 0), as a closing one does."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_a_real_reset_reads_as_a_lost_connection(resetting_server: int) -> None:
    status, body = get(ssl.create_default_context(), "127.0.0.1", resetting_server, "/", 2.0)
    assert status == 0
    assert f"HTTP {status}: {body}".startswith(LOST_CONNECTION), body


def test_a_refused_connection_does_not() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    status, body = get(ssl.create_default_context(), "127.0.0.1", port, "/", 2.0)
    assert status == 0
    assert not f"HTTP {status}: {body}".startswith(LOST_CONNECTION), body
