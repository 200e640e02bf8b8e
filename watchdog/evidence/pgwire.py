"""The `reachable` level: does a PostgreSQL coordinator accept connections at host:port?

TCP connect, send a protocol 3.0 StartupMessage (no SSL request, no credentials), read the server's
first message: an AuthenticationRequest ('R') or an ErrorResponse ('E', e.g. "no such role",
"pg_hba.conf rejects connection") both prove that a coordinator accepts connections => UP. We never
authenticate by hand: after the first message we send Terminate and close.

Refused, reset, closed without an answer, or no answer within the deadline => DOWN (raw evidence:
the quorum only counts it when a reference answered). A DNS failure (or a DNS lookup that outlives
the deadline: the resolver is not the server) => UNKNOWN. Any other first byte => UNKNOWN (not
PostgreSQL?).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass

from watchdog.evidence.sql import SqlEndpoint, classify
from watchdog.model import Verdict

PROTOCOL_3_0 = 196608
PROBE_USER = "dr_watchdog_probe"
TERMINATE = b"X\x00\x00\x00\x04"
AUTH_NAMES = {
    0: "none (trust)",
    3: "cleartext password",
    5: "MD5 password",
    7: "GSSAPI",
    9: "SSPI",
    10: "SASL (GaussDB: its SHA256 method)",
}


@dataclass(frozen=True)
class Reach:
    """The outcome of one reachable check: verdict, one-line detail, and the address connected."""

    verdict: Verdict
    detail: str
    address: str | None = None  # the IP actually connected (so a query level needs no second lookup)


def startup_message(user: str = PROBE_USER, database: str = "postgres") -> bytes:
    """A protocol 3.0 StartupMessage for `user` and `database`."""
    params = b"".join(
        key.encode() + b"\x00" + value.encode() + b"\x00"
        for key, value in (("user", user), ("database", database), ("application_name", "dr-watchdog"))
    )
    body = struct.pack("!i", PROTOCOL_3_0) + params + b"\x00"
    return struct.pack("!i", len(body) + 4) + body


async def resolve(endpoint: SqlEndpoint, timeout: float) -> str:
    """The first address of `endpoint.host` (raises socket.gaierror, or TimeoutError past `timeout`)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        infos = await loop.getaddrinfo(endpoint.host, endpoint.port, type=socket.SOCK_STREAM)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return str(infos[0][4][0])


async def check_reachable(endpoint: SqlEndpoint, deadline: float, user: str = PROBE_USER) -> Reach:
    """Run the reachable level against `endpoint` within `deadline` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    try:
        address = await resolve(endpoint, deadline)
    except TimeoutError:
        return Reach(Verdict.UNKNOWN, f"DNS lookup of {endpoint.host} took longer than {deadline:g} s")
    except OSError as exc:
        return Reach(Verdict.UNKNOWN, classify(exc).text)
    try:
        async with asyncio.timeout(max(end - loop.time(), 0.0)):
            detail = await _converse(address, endpoint.port, user)
    except TimeoutError:
        return Reach(Verdict.DOWN, f"no answer from {endpoint} within {deadline:g} s", address)
    except asyncio.IncompleteReadError:
        return Reach(Verdict.DOWN, f"{endpoint}: closed the connection without an answer", address)
    except OSError as exc:
        failure = classify(exc)
        return Reach(failure.verdict, f"{endpoint}: {failure.text}", address)
    except NotPostgres as exc:
        return Reach(Verdict.UNKNOWN, f"{endpoint}: {exc}", address)
    return Reach(Verdict.UP, f"{endpoint}: a coordinator accepts connections ({detail})", address)


class NotPostgres(Exception):
    """The server's first byte is neither 'R' nor 'E'."""


async def _converse(host: str, port: int, user: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(startup_message(user))
        await writer.drain()
        header = await reader.readexactly(5)
        kind, length = header[:1], struct.unpack("!i", header[1:])[0]
        if kind == b"R":
            code = struct.unpack("!i", await reader.readexactly(4))[0]
            return f"asks for {AUTH_NAMES.get(code, f'authentication code {code}')}"
        if kind == b"E":
            body = await reader.read(min(max(length - 4, 0), 4096))
            return f"answered with an error: {error_text(body)}"
        raise NotPostgres(f"answered {kind!r}: not a PostgreSQL server?")
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.write(TERMINATE)
        await close_writer(writer)


async def close_writer(writer: asyncio.StreamWriter) -> None:
    """Close without waiting long on a peer that may never read or answer."""
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(0.2):
            await writer.wait_closed()


def error_text(body: bytes) -> str:
    """`SEVERITY SQLSTATE message` from an ErrorResponse body (fields: type byte + C string)."""
    fields: dict[str, str] = {}
    for part in body.split(b"\x00"):
        if part:
            fields.setdefault(chr(part[0]), part[1:].decode("utf-8", "replace"))
    severity = fields.get("V", fields.get("S", "ERROR"))
    code = fields.get("C", "?")
    message = " ".join(fields.get("M", "").split())[:200]
    return f"{severity} {code} {message}".strip()
