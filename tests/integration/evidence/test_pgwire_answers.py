"""The reachable level against small servers on 127.0.0.1 that answer what PostgreSQL would not."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable

import pytest

from watchdog.evidence.pgwire import PROTOCOL_3_0, check_reachable, error_text, startup_message
from watchdog.evidence.sql import SqlEndpoint
from watchdog.model import Verdict

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def answering(payload: bytes) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            length = struct.unpack("!i", await reader.readexactly(4))[0]
            await reader.readexactly(length - 4)
            writer.write(payload)
            await writer.drain()
        finally:
            writer.close()

    return handle


async def against(handler: Handler, deadline: float = 1.0) -> tuple[Verdict, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reach = await check_reachable(SqlEndpoint("127.0.0.1", port), deadline)
    return reach.verdict, reach.detail


def error_response(code: str, message: str) -> bytes:
    body = b"SFATAL\x00VFATAL\x00C" + code.encode() + b"\x00M" + message.encode() + b"\x00\x00"
    return b"E" + struct.pack("!i", len(body) + 4) + body


@pytest.mark.parametrize(
    ("payload", "verdict", "text"),
    [
        (b"R" + struct.pack("!ii", 8, 5) + b"salt", Verdict.UP, "asks for MD5 password"),
        (b"R" + struct.pack("!ii", 8, 10), Verdict.UP, "asks for SASL"),
        (b"R" + struct.pack("!ii", 8, 99), Verdict.UP, "asks for authentication code 99"),
        (
            error_response("53300", "sorry, too many clients"),
            Verdict.UP,
            "FATAL 53300 sorry, too many clients",
        ),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", Verdict.UNKNOWN, "not a PostgreSQL server?"),
        (b"", Verdict.DOWN, "closed the connection without an answer"),
        (b"R\x00", Verdict.DOWN, "closed the connection without an answer"),
    ],
)
def test_first_message_decides(payload: bytes, verdict: Verdict, text: str) -> None:
    got, detail = asyncio.run(against(answering(payload)))
    assert got is verdict, detail
    assert text in detail


def test_a_server_that_reads_but_never_answers_is_down_by_the_deadline() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the probe gives up and closes
        finally:
            writer.close()

    loop_time: list[float] = []

    async def scenario() -> tuple[Verdict, str]:
        start = asyncio.get_running_loop().time()
        result = await against(silent, deadline=0.5)
        loop_time.append(asyncio.get_running_loop().time() - start)
        return result

    verdict, detail = asyncio.run(scenario())
    assert verdict is Verdict.DOWN and "no answer from" in detail and "within 0.5 s" in detail
    assert loop_time[0] < 1.0


def test_startup_message_is_protocol_3_with_user_and_database() -> None:
    message = startup_message("probe", "postgres")
    assert struct.unpack("!i", message[:4])[0] == len(message)
    assert struct.unpack("!i", message[4:8])[0] == PROTOCOL_3_0
    assert b"user\x00probe\x00database\x00postgres\x00" in message and message.endswith(b"\x00\x00")


def test_error_text_reads_severity_code_and_message() -> None:
    body = error_response("28000", "no pg_hba.conf entry\nfor host")[5:]
    assert error_text(body) == "FATAL 28000 no pg_hba.conf entry for host"
