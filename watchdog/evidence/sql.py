"""SQL endpoints, logins, the connect seam (asyncpg by default) and how a failure maps to a verdict.

Every SQL probe (data plane `query`, heartbeat write and read) connects through a `Connect` function
so unit tests can inject one; the default opens an asyncpg connection. `classify()` is the ONE place
that turns an exception into a verdict (design of issue 11):

- no answer within the deadline, or the connection lost (refused, reset, closed mid-query, the server
  shutting down or crashing) => DOWN: the server did not do its job;
- authentication problems (an auth method the driver does not speak, wrong password, no such role,
  no permission, no such database), DNS failures and anything unexpected => UNKNOWN, never DOWN:
  the watchdog cannot tell, or is misconfigured.

Texts never hold the password: `scrub()` removes it from whatever a driver put into a message.
"""

from __future__ import annotations

import errno
import os
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from watchdog.model import Verdict

# errnos that mean "the server (or its host) did not answer": the raw DOWN of a probe. Others
# (EMFILE, EACCES, ...) are the watchdog's own trouble: UNKNOWN.
DOWN_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.EHOSTDOWN,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)
# SQLSTATEs of a server going away under us (admin_shutdown, crash_shutdown, connection lost).
DOWN_SQLSTATES = frozenset({"57P01", "57P02", "08003", "08006"})
_HOST = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass(frozen=True)
class SqlEndpoint:
    """A SQL address: `host:port` (`[v6]:port` for an IPv6 literal)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> SqlEndpoint:
        """Parse `host:port`; ValueError with a one-line reason on anything else."""
        value = text.strip()
        host, sep, port_text = value.rpartition(":")
        if not sep or not host:
            raise ValueError(f"{text!r} is not host:port")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise ValueError(f"{text!r}: write an IPv6 address as [address]:port")
        if not _HOST.match(host):
            raise ValueError(f"{text!r}: {host!r} is not a host name or address")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{text!r}: port {port_text!r} is not a number from 1 to 65535")
        return cls(host, int(port_text))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SqlLogin:
    """Credentials for the SQL probes; the password never shows in repr or str."""

    user: str
    password: str = field(repr=False)
    database: str = "postgres"


class SqlConnection(Protocol):
    """What the probes use of a connection (asyncpg's Connection satisfies it)."""

    async def fetchval(self, query: str, *args: Any, timeout: float | None = None) -> Any: ...

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str: ...

    async def close(self, *, timeout: float | None = None) -> None: ...

    def terminate(self) -> None: ...


Connect = Callable[[str, int, str, str, str, float], Awaitable[SqlConnection]]
"""connect(host, port, user, password, database, timeout) -> an open connection."""


async def asyncpg_connect(
    host: str, port: int, user: str, password: str, database: str, timeout: float
) -> SqlConnection:
    """The default `Connect`: an asyncpg connection (TLS when the server offers it)."""
    import asyncpg  # type: ignore[import-untyped]  # no type stubs; this is the one untyped call

    conn: SqlConnection = await asyncpg.connect(
        host=host,
        port=port,
        user=user,
        password=password,
        database=database,
        timeout=timeout,
        command_timeout=timeout,
        server_settings={"application_name": "dr-watchdog"},
    )
    return conn


async def close_quietly(conn: SqlConnection, timeout: float) -> None:
    """Close politely when the server answers, abort the socket when it does not."""
    try:
        await conn.close(timeout=max(timeout, 0.05))
    except Exception:
        conn.terminate()


def scrub(text: str, secret: str | None) -> str:
    """`text` without `secret` (the password), on one line."""
    if secret:
        text = text.replace(secret, "***")
    return " ".join(text.split())


@dataclass(frozen=True)
class Failure:
    """A classified failure: the verdict it gives and a one-line text for the signal."""

    verdict: Verdict
    text: str


def classify(exc: BaseException, secret: str | None = None) -> Failure:
    """Map a connect/query exception to DOWN (no answer, connection lost) or UNKNOWN (anything else)."""
    message = scrub(str(exc), secret)
    name = type(exc).__name__
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(exc, TimeoutError):
        return Failure(Verdict.DOWN, "no answer within the deadline")
    if isinstance(exc, socket.gaierror):
        return Failure(Verdict.UNKNOWN, f"DNS lookup failed: {message}")
    if isinstance(sqlstate, str):
        return _classify_sqlstate(sqlstate, message)
    if isinstance(exc, OSError):
        if exc.errno in DOWN_ERRNOS or isinstance(exc, ConnectionError):
            return Failure(Verdict.DOWN, f"connection failed: {_strerror(exc, message)}")
        return Failure(Verdict.UNKNOWN, f"local error: {_strerror(exc, message)}")
    if "authentication" in message.lower():
        return Failure(Verdict.UNKNOWN, f"authentication method not supported by the driver: {message}")
    if name in ("ConnectionDoesNotExistError", "IncompleteReadError") or "connection_lost" in message:
        return Failure(Verdict.DOWN, f"connection lost: {message or name}")
    return Failure(Verdict.UNKNOWN, f"{name}: {message}" if message else name)


def _classify_sqlstate(sqlstate: str, message: str) -> Failure:
    if sqlstate in DOWN_SQLSTATES:
        return Failure(Verdict.DOWN, f"connection lost: {message} (SQLSTATE {sqlstate})")
    if sqlstate.startswith("28"):
        return Failure(Verdict.UNKNOWN, f"authentication failed: {message} (SQLSTATE {sqlstate})")
    if sqlstate == "42501":
        return Failure(Verdict.UNKNOWN, f"permission denied: {message} (SQLSTATE {sqlstate})")
    if sqlstate == "3D000":
        return Failure(Verdict.UNKNOWN, f"no such database: {message} (SQLSTATE {sqlstate})")
    return Failure(Verdict.UNKNOWN, f"server error: {message} (SQLSTATE {sqlstate})")


def _strerror(exc: OSError, message: str) -> str:
    if exc.errno is not None:
        return f"{os.strerror(exc.errno)} (errno {errno.errorcode.get(exc.errno, exc.errno)})"
    return message or type(exc).__name__
