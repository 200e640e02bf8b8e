"""The data-plane probe against a real PostgreSQL server: each fault gives its signal within the deadline.

Accepting, stopped, frozen (SIGSTOP), refusing (pg_hba reject), slow (a delaying proxy; frozen or
killed between login and query), an auth method asyncpg cannot speak (gss), wrong password, no such
role or database, no CONNECT privilege, DNS failure, a closed port, and "never proven".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from tests.integration.evidence.support import (
    NOW,
    PROBE_USER,
    SECRET,
    delay_proxy,
    endpoint_of,
    login,
    unanswered_port,
)
from tests.servers.postgres import PostgresServer, free_port
from watchdog.evidence import DataPlaneProber, SqlEndpoint, SqlLogin
from watchdog.evidence.sql import Connect, SqlConnection, asyncpg_connect
from watchdog.model import Signal, SignalSource, Verdict

DEADLINE = 1.5
MARGIN = 0.5  # what a probe may take beyond its deadline (closing sockets, scheduling)
DP = SignalSource.DATA_PLANE

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def probe_role(postgres_server: PostgresServer) -> None:
    postgres_server.create_user(PROBE_USER, SECRET)


def probe(
    prober: DataPlaneProber, endpoint: SqlEndpoint | None, who: SqlLogin | None, key: str = "k"
) -> Signal:
    return asyncio.run(prober.probe(key, DP, endpoint, who, NOW))


def proven(server: PostgresServer, key: str = "k", connect: Connect | None = None) -> DataPlaneProber:
    """A prober whose key `key` has succeeded once against `server` (so a DOWN reads as DOWN)."""
    prober = DataPlaneProber(deadline=DEADLINE, connect=connect)
    first = probe(prober, endpoint_of(server), None, key)
    assert first.verdict is Verdict.UP, first
    return prober


def timed(fn: Callable[[], Signal]) -> tuple[Signal, float]:
    started = time.monotonic()
    signal = fn()
    return signal, time.monotonic() - started


# ---- accepting ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["trust", "md5", "scram-sha-256", "password", "reject", "gss"])
def test_reachable_is_up_whatever_the_server_answers_first(postgres: PostgresServer, method: str) -> None:
    postgres.set_hba(method)
    signal = probe(DataPlaneProber(deadline=DEADLINE), endpoint_of(postgres), None)
    assert signal.verdict is Verdict.UP, signal
    assert signal.source is DP and signal.error is None
    assert "a coordinator accepts connections" in signal.detail
    assert signal.latency_seconds is not None and 0 <= signal.latency_seconds < DEADLINE


def test_reachable_says_what_the_server_asked_for(postgres: PostgresServer) -> None:
    postgres.set_hba("scram-sha-256")
    assert "asks for SASL" in probe(DataPlaneProber(deadline=DEADLINE), endpoint_of(postgres), None).detail
    postgres.set_hba("reject")
    rejected = probe(DataPlaneProber(deadline=DEADLINE), endpoint_of(postgres), None).detail
    assert "answered with an error: FATAL 28000 pg_hba.conf rejects connection" in rejected


@pytest.mark.parametrize("method", ["trust", "md5", "scram-sha-256", "password"])
def test_query_is_up_with_every_method_the_driver_speaks(postgres: PostgresServer, method: str) -> None:
    postgres.create_user(PROBE_USER, SECRET, encryption="md5" if method == "md5" else "scram-sha-256")
    postgres.set_hba(method)
    prober = DataPlaneProber(deadline=DEADLINE)
    signal = probe(prober, endpoint_of(postgres), login())
    assert signal.verdict is Verdict.UP, signal
    assert "SELECT 1 answered" in signal.detail
    assert prober.unproven() == frozenset()


# ---- stopped, closed port -------------------------------------------------------------------------------
@pytest.mark.parametrize("with_login", [False, True])
def test_a_stopped_server_is_down_refused(postgres: PostgresServer, with_login: bool) -> None:
    prober = proven(postgres)
    postgres.stop()
    signal, elapsed = timed(lambda: probe(prober, endpoint_of(postgres), login() if with_login else None))
    assert signal.verdict is Verdict.DOWN, signal
    assert "Connection refused" in signal.detail and "ECONNREFUSED" in signal.detail
    assert signal.error is None and elapsed < DEADLINE


def test_a_closed_port_is_down_refused_once_proven(postgres_server: PostgresServer) -> None:
    prober = proven(postgres_server)
    signal = probe(prober, SqlEndpoint("127.0.0.1", free_port()), None)
    assert signal.verdict is Verdict.DOWN and "Connection refused" in signal.detail


def test_an_address_that_never_completes_the_handshake_is_down_by_timeout(
    postgres_server: PostgresServer,
) -> None:
    prober = proven(postgres_server)
    with unanswered_port() as blackholed:
        signal, elapsed = timed(lambda: probe(prober, SqlEndpoint("127.0.0.1", blackholed), None))
    assert signal.verdict is Verdict.DOWN and "no answer" in signal.detail, signal
    assert elapsed < DEADLINE + MARGIN


# ---- frozen, slow ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("with_login", [False, True])
def test_a_frozen_server_is_down_by_timeout_within_the_deadline(
    postgres: PostgresServer, with_login: bool
) -> None:
    prober = proven(postgres)
    postgres.freeze()
    signal, elapsed = timed(lambda: probe(prober, endpoint_of(postgres), login() if with_login else None))
    assert signal.verdict is Verdict.DOWN, signal
    assert "no answer" in signal.detail
    assert DEADLINE - 0.1 <= elapsed < DEADLINE + MARGIN
    assert signal.latency_seconds is not None and signal.latency_seconds < DEADLINE + MARGIN


def test_a_server_slower_than_the_deadline_is_down(postgres_server: PostgresServer) -> None:
    async def scenario() -> tuple[Signal, Signal, float]:
        async with delay_proxy(postgres_server.port, DEADLINE * 2, slow=lambda n: n > 1) as proxy:
            prober = DataPlaneProber(deadline=DEADLINE)
            where = SqlEndpoint("127.0.0.1", proxy.port)
            first = await prober.probe("k", DP, where, None, NOW)  # the proxy's first connection is prompt
            started = time.monotonic()
            slow = await prober.probe("k", DP, where, None, NOW)
            return first, slow, time.monotonic() - started

    first, slow, elapsed = asyncio.run(scenario())
    assert first.verdict is Verdict.UP, first
    assert slow.verdict is Verdict.DOWN and "no answer" in slow.detail, slow
    assert elapsed < DEADLINE + MARGIN


def test_a_login_slower_than_what_is_left_of_the_deadline_is_down(postgres_server: PostgresServer) -> None:
    """The reachable check passes (the second probe's first connection, the proxy's third, is
    prompt), the driver's login (the fourth) is slow."""

    async def scenario() -> tuple[Signal, float]:
        async with delay_proxy(postgres_server.port, DEADLINE * 2, slow=lambda n: n == 4) as proxy:
            prober = DataPlaneProber(deadline=DEADLINE)
            where = SqlEndpoint("127.0.0.1", proxy.port)
            assert (await prober.probe("k", DP, where, login(), NOW)).verdict is Verdict.UP
            started = time.monotonic()
            signal = await prober.probe("k", DP, where, login(), NOW)
            return signal, time.monotonic() - started

    signal, elapsed = asyncio.run(scenario())
    assert signal.verdict is Verdict.DOWN and "no answer within the deadline" in signal.detail, signal
    assert f"as {PROBE_USER}" in signal.detail
    assert elapsed < DEADLINE + MARGIN


def after_login(action: Callable[[], object]) -> Connect:
    """A connect seam around the real driver: log in, then do `action` before the query runs."""

    async def connect(
        host: str, port: int, user: str, password: str, db: str, timeout: float
    ) -> SqlConnection:
        conn = await asyncpg_connect(host, port, user, password, db, timeout)
        action()
        return conn

    return connect


def test_frozen_between_login_and_query_is_down_by_timeout(postgres: PostgresServer) -> None:
    prober = proven(postgres, connect=after_login(postgres.freeze))
    signal, elapsed = timed(lambda: probe(prober, endpoint_of(postgres), login()))
    assert signal.verdict is Verdict.DOWN and "no answer within the deadline" in signal.detail, signal
    assert elapsed < DEADLINE + MARGIN


def test_a_connection_killed_before_the_query_is_down(postgres: PostgresServer) -> None:
    kill = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{PROBE_USER}'"
    prober = proven(postgres, connect=after_login(lambda: postgres.execute(kill)))
    signal = probe(prober, endpoint_of(postgres), login())
    assert signal.verdict is Verdict.DOWN, signal
    assert "connection lost" in signal.detail


# ---- authentication: UNKNOWN, never DOWN ----------------------------------------------------------------
def test_an_auth_method_the_driver_cannot_speak_is_unknown_never_down(postgres: PostgresServer) -> None:
    prober = proven(postgres)
    postgres.set_hba("gss")
    signal = probe(prober, endpoint_of(postgres), login())
    assert signal.verdict is Verdict.UNKNOWN, signal
    assert "authentication method not supported by the driver" in signal.detail
    assert signal.error == signal.detail


def test_pg_hba_reject_is_unknown_at_the_query_level(postgres: PostgresServer) -> None:
    prober = proven(postgres)
    postgres.set_hba("reject")
    signal = probe(prober, endpoint_of(postgres), login())
    assert signal.verdict is Verdict.UNKNOWN, signal
    assert "authentication failed" in signal.detail and "pg_hba.conf rejects connection" in signal.detail


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (login(password="wrong"), "authentication failed: password authentication failed"),
        (login(user="drw_nobody"), "authentication failed: password authentication failed"),
        (login(database="no_such_db"), "no such database"),
    ],
)
def test_bad_credentials_are_unknown_never_down(
    postgres: PostgresServer, who: SqlLogin, expected: str
) -> None:
    prober = proven(postgres)
    postgres.set_hba("scram-sha-256")
    signal = probe(prober, endpoint_of(postgres), who)
    assert signal.verdict is Verdict.UNKNOWN, signal
    assert expected in signal.detail


def test_no_connect_privilege_is_unknown(postgres: PostgresServer) -> None:
    postgres.create_database("drw_private")
    postgres.execute('REVOKE CONNECT ON DATABASE "drw_private" FROM PUBLIC')
    signal = probe(proven(postgres), endpoint_of(postgres), login(database="drw_private"))
    assert signal.verdict is Verdict.UNKNOWN and "permission denied" in signal.detail, signal


# ---- DNS, never proven ----------------------------------------------------------------------------------
@pytest.mark.parametrize("with_login", [False, True])
def test_a_dns_failure_is_unknown(postgres_server: PostgresServer, with_login: bool) -> None:
    prober = proven(postgres_server)
    who = login() if with_login else None
    signal = probe(prober, SqlEndpoint("no-such-coordinator.invalid", postgres_server.port), who)
    assert signal.verdict is Verdict.UNKNOWN and "DNS lookup failed" in signal.detail, signal


def test_never_proven_is_unknown_until_the_first_success_then_down(postgres: PostgresServer) -> None:
    prober = DataPlaneProber(deadline=DEADLINE)
    postgres.stop()
    first = probe(prober, endpoint_of(postgres), None, "sales/prod-1")
    assert first.verdict is Verdict.UNKNOWN, first
    assert first.detail.startswith("never succeeded since start: ") and "Connection refused" in first.detail
    assert prober.unproven() == {"sales/prod-1"}
    postgres.start()
    assert probe(prober, endpoint_of(postgres), None, "sales/prod-1").verdict is Verdict.UP
    assert prober.unproven() == frozenset()
    postgres.stop()
    assert probe(prober, endpoint_of(postgres), None, "sales/prod-1").verdict is Verdict.DOWN


def test_never_proven_is_per_key(postgres: PostgresServer) -> None:
    prober = DataPlaneProber(deadline=DEADLINE)
    assert probe(prober, endpoint_of(postgres), None, "a").verdict is Verdict.UP
    postgres.stop()
    assert probe(prober, endpoint_of(postgres), None, "a").verdict is Verdict.DOWN
    assert probe(prober, endpoint_of(postgres), None, "b").verdict is Verdict.UNKNOWN
    assert probe(prober, None, None, "c").verdict is Verdict.UNKNOWN
    assert prober.unproven() == {"b", "c"}


def test_a_query_that_never_logged_in_stays_unproven(postgres: PostgresServer) -> None:
    """A wrong password is a configuration problem: the key stays unproven (a metric, an alert)."""
    postgres.set_hba("scram-sha-256")
    prober = DataPlaneProber(deadline=DEADLINE)
    signal = probe(prober, endpoint_of(postgres), login(password="wrong"))
    assert signal.verdict is Verdict.UNKNOWN and signal.detail.startswith("never succeeded since start")
    assert prober.unproven() == {"k"}
