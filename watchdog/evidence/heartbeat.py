"""The heartbeat: a timestamp row written on production every round, read back on the DR cluster.

Writing `now` (the watchdog's clock) into production proves that production takes writes: HEARTBEAT
UP. Any failure is UNKNOWN, never DOWN (a heartbeat is positive evidence only). The DR side's newest
row for the same writer, once the DR sync carried it over, is the measured replication point
(`Observation.heartbeat_at`); the lag is `observed_at - heartbeat_at`, both on the watchdog's clock.

The table is NOT created here: the operator creates it once (docs/evidence.md has the DDL and the
grants), so the watchdog needs no DDL rights on production and never creates objects there by
surprise. One row per writer (pair/watchdog name), updated in place (UPDATE, then INSERT when no row
was there: plain SQL that GaussDB(DWS) and PostgreSQL both run, no ON CONFLICT needed).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

from watchdog.evidence.sql import (
    Connect,
    SqlEndpoint,
    SqlLogin,
    asyncpg_connect,
    classify,
    close_quietly,
    scrub,
)
from watchdog.model import Signal, SignalSource, Verdict

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


class Misconfigured(Exception):
    """A heartbeat that cannot even be tried: no address, or a table name that is not an identifier."""


def quote_table(name: str) -> str:
    """`schema.table` (or `table`) as a quoted SQL identifier; ValueError with the reason otherwise."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENT.match(part) for part in parts):
        raise ValueError(f"heartbeat_table: {name!r} is not SCHEMA.TABLE (letters, digits, _ only)")
    return ".".join(f'"{part}"' for part in parts)


async def write_heartbeat(
    endpoint: SqlEndpoint | None,
    login: SqlLogin,
    table: str,
    writer: str,
    now: datetime,
    deadline: float,
    connect: Connect | None = None,
) -> Signal:
    """Upsert (writer, now) into `table` on production: HEARTBEAT UP on success, UNKNOWN otherwise."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    where = f"{endpoint} {table}"
    try:
        if endpoint is None:
            raise Misconfigured("no SQL address for production")
        qualified = _quoted(table)
        async with asyncio.timeout(deadline):
            await _upsert(connect or asyncpg_connect, endpoint, login, qualified, writer, now, deadline)
    except Exception as exc:
        text = f"heartbeat not written to {where}: {_failure(exc, login)}"
        return _signal(Verdict.UNKNOWN, text, now, loop.time() - started, error=text)
    text = f"heartbeat written to {where} at {now.isoformat()}"
    return _signal(Verdict.UP, text, now, loop.time() - started)


async def read_heartbeat(
    endpoint: SqlEndpoint | None,
    login: SqlLogin,
    table: str,
    writer: str,
    deadline: float,
    connect: Connect | None = None,
) -> tuple[datetime | None, str | None]:
    """The newest heartbeat of `writer` in `table` on the DR side: (value, None), (None, None) when no
    row is there yet, or (None, error text) when it could not be read."""
    try:
        if endpoint is None:
            raise Misconfigured("no SQL address for the DR cluster")
        qualified = _quoted(table)
        async with asyncio.timeout(deadline):
            value = await _newest(connect or asyncpg_connect, endpoint, login, qualified, writer, deadline)
    except Exception as exc:
        return None, f"heartbeat not read from {endpoint} {table}: {_failure(exc, login)}"
    if value is not None and not isinstance(value, datetime):
        return None, f"heartbeat in {endpoint} {table} is not a timestamp: {type(value).__name__}"
    return value, None


async def _upsert(
    connect: Connect,
    endpoint: SqlEndpoint,
    login: SqlLogin,
    table: str,
    writer: str,
    now: datetime,
    timeout: float,
) -> None:
    conn = await connect(endpoint.host, endpoint.port, login.user, login.password, login.database, timeout)
    try:
        status = await conn.execute(
            f"UPDATE {table} SET ts = $2 WHERE writer = $1", writer, now, timeout=timeout
        )
        if status.split()[-1:] == ["0"]:
            await conn.execute(
                f"INSERT INTO {table} (writer, ts) VALUES ($1, $2)", writer, now, timeout=timeout
            )
    except BaseException:
        conn.terminate()
        raise
    await close_quietly(conn, 0.5)


async def _newest(
    connect: Connect, endpoint: SqlEndpoint, login: SqlLogin, table: str, writer: str, timeout: float
) -> object:
    conn = await connect(endpoint.host, endpoint.port, login.user, login.password, login.database, timeout)
    try:
        value = await conn.fetchval(f"SELECT max(ts) FROM {table} WHERE writer = $1", writer, timeout=timeout)
    except BaseException:
        conn.terminate()
        raise
    await close_quietly(conn, 0.5)
    return value


def _quoted(table: str) -> str:
    try:
        return quote_table(table)
    except ValueError as exc:
        raise Misconfigured(str(exc)) from None


def _failure(exc: BaseException, login: SqlLogin) -> str:
    if isinstance(exc, Misconfigured):
        return scrub(str(exc), login.password)
    return classify(exc, login.password).text


def _signal(verdict: Verdict, detail: str, now: datetime, latency: float, error: str | None = None) -> Signal:
    return Signal(
        source=SignalSource.HEARTBEAT,
        verdict=verdict,
        detail=detail,
        observed_at=now,
        error=error,
        latency_seconds=round(latency, 6),
    )
