"""Helpers for running our DwsClient against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.dws.signing import Credentials, TokenCredentials
from watchdog.simulator import Simulator
from watchdog.simulator.testing import TEST_CREDENTIALS, TEST_PROJECT_ID

T = TypeVar("T")
FAST_RETRY = RetryPolicy(attempts=3, base=0.05, cap=0.2, deadline=5.0)


class Recorder:
    """The client's observer: every (operation, code, seconds) it reports, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []

    def __call__(self, operation: str, code: str, seconds: float) -> None:
        self.calls.append((operation, code, seconds))

    def codes(self, operation: str | None = None) -> list[str]:
        return [code for op, code, _ in self.calls if operation in (None, op)]


def run_client(
    url: str,
    body: Callable[[DwsClient], Awaitable[T]],
    *,
    credentials: Credentials | TokenCredentials = TEST_CREDENTIALS,
    project_id: str = TEST_PROJECT_ID,
    observer: Recorder | None = None,
    **kwargs: Any,
) -> T:
    """Open a client on `url` (real clock), run `body` with it, close it."""
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("timeout", 3.0)

    async def go() -> T:
        async with DwsClient(url, project_id, credentials, observer=observer, **kwargs) as client:
            return await body(client)

    return asyncio.run(go())


def logged_statuses(sim: Simulator, operation: str, since_seq: int, expected: int) -> list[int]:
    """Statuses in the simulator's request log; waits briefly, as the server logs just after answering."""
    deadline = time.monotonic() + 2.0
    while True:
        statuses = [r.status for r in sim.requests(operation, since_seq=since_seq)]
        if len(statuses) >= expected or time.monotonic() > deadline:
            return statuses
        time.sleep(0.01)


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (a port just bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def reply_json(handler: BaseHTTPRequestHandler, payload: object) -> None:
    """Answer 200 with `payload` as JSON and a Content-Length, so the connection can be kept alive."""
    body = json.dumps(payload).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[int]:
    """Run a stdlib loopback server in a thread; yields its port and stops it afterwards."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
