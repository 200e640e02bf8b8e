"""DataPlaneProber's query level through an injected connect seam (the reachable level needs a
server: a tiny one on 127.0.0.1 that asks for a password)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from tests.integration.evidence.support import NOW
from watchdog.evidence import DataPlaneProber, SqlEndpoint, SqlLogin
from watchdog.evidence.sql import SqlConnection
from watchdog.model import Signal, SignalSource, Verdict

WHO = SqlLogin("dr_watchdog", "s3cret-Pw")


class FakeConnection:
    def __init__(self, value: object = 1, error: BaseException | None = None, delay: float = 0) -> None:
        self.value, self.error, self.delay = value, error, delay
        self.closed = self.terminated = False

    async def fetchval(self, query: str, *args: Any, timeout: float | None = None) -> Any:
        assert query == "SELECT 1"
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.value

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        raise AssertionError("not used")

    async def close(self, *, timeout: float | None = None) -> None:
        self.closed = True

    def terminate(self) -> None:
        self.terminated = True


@asynccontextmanager
async def asks_for_password() -> AsyncIterator[SqlEndpoint]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"R" + struct.pack("!ii", 8, 5) + b"salt")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield SqlEndpoint("127.0.0.1", server.sockets[0].getsockname()[1])


def run(conn: FakeConnection | BaseException, deadline: float = 1.0) -> tuple[Signal, list[tuple[Any, ...]]]:
    calls: list[tuple[Any, ...]] = []

    async def connect(host: str, port: int, user: str, pw: str, db: str, timeout: float) -> SqlConnection:
        calls.append((host, port, user, pw, db, timeout))
        if isinstance(conn, BaseException):
            raise conn
        return conn

    async def scenario() -> Signal:
        async with asks_for_password() as endpoint:
            prober = DataPlaneProber(deadline=deadline, connect=connect)
            await prober.probe("k", SignalSource.DR_DATA_PLANE, endpoint, None, NOW)  # proves "k"
            return await prober.probe("k", SignalSource.DR_DATA_PLANE, endpoint, WHO, NOW)

    return asyncio.run(scenario()), calls


def test_select_one_answered_is_up_and_the_connection_closed() -> None:
    conn = FakeConnection()
    signal, calls = run(conn)
    assert signal.verdict is Verdict.UP and signal.source is SignalSource.DR_DATA_PLANE
    assert signal.detail.endswith(" as dr_watchdog: SELECT 1 answered")
    assert conn.closed and not conn.terminated
    host, _, user, pw, db, timeout = calls[0]
    assert (host, user, pw, db) == ("127.0.0.1", "dr_watchdog", "s3cret-Pw", "postgres")
    assert 0 < timeout <= 1.0


def test_a_query_slower_than_the_deadline_is_down_and_the_connection_aborted() -> None:
    conn = FakeConnection(delay=5)
    signal, _ = run(conn, deadline=0.3)
    assert signal.verdict is Verdict.DOWN and "no answer within the deadline" in signal.detail
    assert conn.terminated
    assert signal.latency_seconds is not None and signal.latency_seconds < 0.8


def test_a_wrong_answer_is_unknown() -> None:
    signal, _ = run(FakeConnection(value=2))
    assert signal.verdict is Verdict.UNKNOWN and "SELECT 1 returned 2" in signal.detail


def test_auth_failures_from_the_driver_are_unknown() -> None:
    for error in (
        asyncpg.InvalidPasswordError('password authentication failed for user "dr_watchdog"'),
        asyncpg.InterfaceError("unsupported SASL Authentication methods requested by the server: 'x'"),
    ):
        signal, _ = run(error)
        assert signal.verdict is Verdict.UNKNOWN, signal
        assert signal.error == signal.detail


def test_a_connection_lost_mid_query_is_down() -> None:
    signal, _ = run(FakeConnection(error=asyncpg.ConnectionDoesNotExistError("closed in the middle")))
    assert signal.verdict is Verdict.DOWN and "connection lost" in signal.detail


def test_no_address_is_unknown_and_unproven() -> None:
    async def scenario() -> tuple[Signal, frozenset[str]]:
        prober = DataPlaneProber(deadline=1.0)
        signal = await prober.probe("pair/c1", SignalSource.DATA_PLANE, None, WHO, NOW)
        return signal, prober.unproven()

    signal, unproven = asyncio.run(scenario())
    assert signal.verdict is Verdict.UNKNOWN and "no SQL address" in signal.detail
    assert unproven == {"pair/c1"}


def test_a_deadline_must_be_positive() -> None:
    try:
        DataPlaneProber(deadline=0)
    except ValueError as exc:
        assert "deadline" in str(exc)
    else:
        raise AssertionError("a zero deadline was accepted")
