"""Data-plane probes of a cluster's SQL endpoint: the `reachable` and `query` levels, and "never proven".

`DataPlaneProber.probe()` returns one `Signal` (DATA_PLANE for production, DR_DATA_PLANE for the DR
side: the caller passes the source) within its deadline:

- level `reachable` (no login): see `watchdog.evidence.pgwire`.
- level `query` (a login): after a reachable UP, connect with the driver (asyncpg) and run `SELECT 1`
  within what is left of the deadline. Success => UP; no answer in time or the connection lost =>
  DOWN; authentication problems of any kind => UNKNOWN with the reason, never DOWN
  (`watchdog.evidence.sql.classify`). A reachable DOWN or UNKNOWN is the answer: no query is tried.
- never proven: until a key (one per pair and cluster) has been UP once since the process started,
  its DOWN is reported as UNKNOWN ("never succeeded since start: ..."): a probe that never worked is
  a configuration problem (wrong address, no route), not evidence. `unproven()` lists those keys.

The deadline covers the whole probe (DNS, connect, startup, login and query).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from watchdog.evidence.pgwire import Reach, check_reachable
from watchdog.evidence.sql import Connect, SqlEndpoint, SqlLogin, asyncpg_connect, classify, close_quietly
from watchdog.model import Signal, SignalSource, Verdict

__all__ = ["DataPlaneProber", "SqlEndpoint", "SqlLogin"]

NEVER_PROVEN = "never succeeded since start"


class DataPlaneProber:
    """Probes SQL endpoints and remembers, per key, whether each has ever answered since start."""

    def __init__(self, *, deadline: float, connect: Connect | None = None) -> None:
        if deadline <= 0:
            raise ValueError(f"deadline: {deadline!r} must be a positive number of seconds")
        self._deadline = deadline
        self._connect: Connect = connect or asyncpg_connect
        self._configured: set[str] = set()
        self._proven: set[str] = set()

    @property
    def deadline(self) -> float:
        return self._deadline

    def unproven(self) -> frozenset[str]:
        """Keys probed at least once and never UP since this prober was made."""
        return frozenset(self._configured - self._proven)

    async def probe(
        self,
        key: str,
        source: SignalSource,
        endpoint: SqlEndpoint | None,
        login: SqlLogin | None,
        now: datetime,
    ) -> Signal:
        """One probe of `endpoint`: the query level with a login, the reachable level without."""
        self._configured.add(key)
        loop = asyncio.get_running_loop()
        started = loop.time()
        if endpoint is None:
            verdict, detail = Verdict.UNKNOWN, "no SQL address (none configured, none in the cluster detail)"
        else:
            verdict, detail = await self._levels(endpoint, login)
        latency = loop.time() - started
        if verdict is Verdict.UP:
            self._proven.add(key)
        elif key not in self._proven:
            verdict, detail = Verdict.UNKNOWN, f"{NEVER_PROVEN}: {detail}"
        return Signal(
            source=source,
            verdict=verdict,
            detail=detail,
            observed_at=now,
            error=detail if verdict is Verdict.UNKNOWN else None,
            latency_seconds=round(latency, 6),
        )

    async def _levels(self, endpoint: SqlEndpoint, login: SqlLogin | None) -> tuple[Verdict, str]:
        loop = asyncio.get_running_loop()
        end = loop.time() + self._deadline
        reach = await check_reachable(endpoint, self._deadline)
        if login is None or reach.verdict is not Verdict.UP:
            return reach.verdict, reach.detail
        return await self._query(endpoint, reach, login, end - loop.time())

    async def _query(
        self, endpoint: SqlEndpoint, reach: Reach, login: SqlLogin, remaining: float
    ) -> tuple[Verdict, str]:
        where = f"{endpoint} as {login.user}"
        if remaining <= 0:
            # the coordinator answered, only just: that is no evidence either way
            return Verdict.UNKNOWN, f"{where}: no time left for the query after the reachable check"
        try:
            async with asyncio.timeout(remaining):
                value = await select_one(
                    self._connect, reach.address or endpoint.host, endpoint.port, login, remaining
                )
        except Exception as exc:  # every failure is classified; nothing escapes a probe
            failure = classify(exc, login.password)
            return failure.verdict, f"{where}: {failure.text}"
        if value != 1:
            return Verdict.UNKNOWN, f"{where}: SELECT 1 returned {value!r}"
        return Verdict.UP, f"{where}: SELECT 1 answered"


async def select_one(connect: Connect, host: str, port: int, login: SqlLogin, timeout: float) -> object:
    """Connect and run `SELECT 1`; the connection is closed (or aborted) whatever happens."""
    conn = await connect(host, port, login.user, login.password, login.database, timeout)
    try:
        value = await conn.fetchval("SELECT 1", timeout=timeout)
    except BaseException:
        conn.terminate()
        raise
    await close_quietly(conn, 0.5)
    return value
