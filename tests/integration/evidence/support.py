"""Helpers for the evidence tests against the real PostgreSQL server: logins, a delaying TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.servers.postgres import PostgresServer
from watchdog.evidence import SqlEndpoint, SqlLogin
from watchdog.model import Signal

# A password that no text may ever show: distinctive, so a leak cannot hide in ordinary words.
SECRET = "Pw-7xQ!never-shown-9Zk"
PROBE_USER = "drw_probe"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def endpoint_of(server: PostgresServer) -> SqlEndpoint:
    return SqlEndpoint(server.host, server.port)


def login(password: str = SECRET, user: str = PROBE_USER, database: str = "postgres") -> SqlLogin:
    return SqlLogin(user=user, password=password, database=database)


def texts(signal: Signal) -> str:
    """Every text a signal carries (what logs, metrics, status and the journal could show)."""
    return f"{signal.detail}\n{signal.error or ''}\n{signal!r}"


@dataclass
class DelayProxy:
    """A TCP proxy on 127.0.0.1 that forwards to `target_port`; connection number n (from 1) gets
    each server->client chunk `delay` seconds late when `slow(n)`, at once otherwise."""

    target_port: int
    delay: float
    slow: Callable[[int], bool]
    port: int = 0
    connections: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
        try:
            while chunk := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                writer.write(chunk)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        delay = self.delay if self.slow(self.connections) else 0.0
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        for task in (
            asyncio.create_task(self._pipe(client_r, server_w, 0.0)),
            asyncio.create_task(self._pipe(server_r, client_w, delay)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


@contextlib.asynccontextmanager
async def delay_proxy(
    target_port: int, delay: float, slow: Callable[[int], bool]
) -> AsyncIterator[DelayProxy]:
    """Run a `DelayProxy` for the block; yields it with `port` set."""
    proxy = DelayProxy(target_port, delay, slow)
    server = await asyncio.start_server(proxy._serve, "127.0.0.1", 0)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        server.close()
        for task in list(proxy._tasks):
            task.cancel()
        await asyncio.gather(*proxy._tasks, return_exceptions=True)


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose TCP handshakes never complete (a full listen queue drops SYNs):
    a blackholed address, without leaving loopback."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        filler = socket.create_connection(("127.0.0.1", port), timeout=1)  # fills the queue
        try:
            yield port
        finally:
            filler.close()
