"""Steady client traffic through a load balancer, counted while a drill breaks something."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from hatool.verify.api import get

HTTP_OK = 200
HTTP_CREATED = 201
HTTP_CONFLICT = 409

#: A connection the server closed before any answer: what a connection still in
#: an API server's accept queue gets when its listener closes at the end of a
#: graceful stop (nginx has already handed it over and cannot try another
#: server). client-go retries a GET after these (net.IsConnectionReset,
#: net.IsProbableEOF) once a second, as if the answer were ``Retry-After: 1``.
LOST_CONNECTION = tuple(
    f"HTTP 0: {error.__name__}:"
    for error in (
        ConnectionResetError,
        ConnectionAbortedError,
        BrokenPipeError,
        ssl.SSLEOFError,
        ssl.SSLZeroReturnError,
        http.client.RemoteDisconnected,
    )
)
#: client-go's pause before it sends a GET again after a lost connection.
RETRY_AFTER = 1.0


@dataclass
class StreamResult:
    requests: int = 0
    failures: int = 0
    longest_gap: float = 0.0  # seconds between two successful requests
    errors: list[str] = field(default_factory=list)
    #: requests whose connection was lost before an answer and that were sent
    #: again (streams that retry as client-go does): [seconds since the stream
    #: began, the error]
    retried: list[tuple[float, str]] = field(default_factory=list)
    #: every request: [seconds since the stream began, seconds it took, 1 ok / 0 failed]
    timeline: list[list[float]] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"{self.failures} of {self.requests} requests failed, "
            f"longest gap between successes {self.longest_gap:.2f}s"
        )
        if self.retried:
            text += (
                f"; {len(self.retried)} lost its connection before an answer and was sent "
                f"again {RETRY_AFTER:.0f}s later, as client-go sends a GET again "
                f"(first at {self.retried[0][0]:.2f}s: {self.retried[0][1]})"
            )
        return text


class RequestStream:
    """One request after another, each on a new TCP connection, until stopped.

    A new connection per request means the load balancer chooses an upstream
    for every request, as it would for many independent clients. With
    ``retry_lost``, a request whose connection is lost before any answer is
    sent once more after :data:`RETRY_AFTER`, as client-go does for a GET; the
    stream counts it in ``result.retried`` and counts it failed only if the
    second try fails too.
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        address: str,
        port: int,
        *,
        interval: float = 0.05,
        timeout: float = 5.0,
        retry_lost: bool = False,
    ) -> None:
        self._context, self._address, self._port = context, address, port
        self._interval, self._timeout = interval, timeout
        self._retry_lost = retry_lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.result = StreamResult()

    def request(self) -> tuple[bool, str]:
        status, body = get(
            self._context, self._address, self._port, "/api/v1/namespaces/kube-system",
            timeout=self._timeout,
        )  # fmt: skip
        return status == HTTP_OK, f"HTTP {status}: {body[:120]}"

    @property
    def timeline(self) -> list[list[float]]:
        return self.result.timeline

    def _attempt(self, start: float) -> tuple[bool, str]:
        ok, detail = self.request()
        if not ok and self._retry_lost and detail.startswith(LOST_CONNECTION):
            self.result.retried.append((round(time.monotonic() - start, 3), detail))
            time.sleep(RETRY_AFTER)
            ok, detail = self.request()
        return ok, detail

    def _loop(self) -> None:
        start = last_success = time.monotonic()
        now = last_success
        while not self._stop.is_set():
            began = time.monotonic()
            ok, detail = self._attempt(start)
            now = time.monotonic()
            self.result.timeline.append(
                [round(began - start, 3), round(now - began, 3), 1.0 if ok else 0.0]
            )
            self.result.requests += 1
            if ok:
                self.result.longest_gap = max(self.result.longest_gap, now - last_success)
                last_success = now
            else:
                self.result.failures += 1
                if len(self.result.errors) < 5:
                    self.result.errors.append(detail)
            self._stop.wait(max(0.0, self._interval - (now - began)))
        # A stream that ends in failures has a gap that is still open.
        self.result.longest_gap = max(self.result.longest_gap, now - last_success)

    def __enter__(self) -> RequestStream:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class WriteStream(RequestStream):
    """Writes through the API: a ConfigMap counter in ``default``, patched each time.

    Leave ``retry_lost`` off: client-go does not send a write again.
    """

    NAME = "hatool-verify-drill"
    _count = 0  # the counter's last value sent

    def _send(self, method: str, path: str, body: Mapping[str, object], kind: str) -> int:
        conn = http.client.HTTPSConnection(
            self._address, self._port, context=self._context, timeout=self._timeout
        )
        try:
            conn.request(method, path, json.dumps(body), {"Content-Type": kind})
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            return 0
        finally:
            conn.close()

    def request(self) -> tuple[bool, str]:
        self._count += 1
        path = f"/api/v1/namespaces/default/configmaps/{self.NAME}"
        status = self._send(
            "PATCH", path, {"data": {"count": str(self._count)}}, "application/merge-patch+json"
        )
        return status == HTTP_OK, f"HTTP {status}"

    def __enter__(self) -> WriteStream:
        body = {"metadata": {"name": self.NAME}, "data": {"count": "0"}}
        status = self._send(
            "POST", "/api/v1/namespaces/default/configmaps", body, "application/json"
        )
        if status not in (HTTP_CREATED, HTTP_CONFLICT):
            self.result.errors.append(f"could not create the ConfigMap: HTTP {status}")
        super().__enter__()
        return self
