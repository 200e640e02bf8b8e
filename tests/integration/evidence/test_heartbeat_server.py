"""The heartbeat against a real PostgreSQL server: written on "production" (one database), read on "the
DR" (a second database on the same server; the test copies the rows over to model a DR sync).

The lag (observed_at - heartbeat_at) is measured on the watchdog's clock and checked against the real
server's clock. Every failure to write is UNKNOWN, never DOWN; a failure to read is (None, reason).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.evidence.support import SECRET, endpoint_of, login
from tests.servers.fixtures import restore
from tests.servers.postgres import PostgresServer
from watchdog.evidence import SqlLogin, read_heartbeat, write_heartbeat
from watchdog.model import Signal, SignalSource, Verdict

PROD, DR = "drw_prod", "drw_dr"
TABLE = "dr_watchdog.heartbeat"
WRITER, READER = "drw_hb_writer", "drw_hb_reader"
DEADLINE = 2.0
# The DDL and grants of docs/evidence.md, as an operator runs them (PostgreSQL flavour).
DDL = f"""
CREATE SCHEMA dr_watchdog;
CREATE TABLE {TABLE} (writer text PRIMARY KEY, ts timestamptz NOT NULL);
GRANT USAGE ON SCHEMA dr_watchdog TO {WRITER}, {READER};
GRANT SELECT, INSERT, UPDATE ON {TABLE} TO {WRITER};
GRANT SELECT ON {TABLE} TO {READER};
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def databases(postgres: PostgresServer) -> Iterator[PostgresServer]:
    """Fresh production and DR databases holding the heartbeat table; dropped after the test."""
    postgres_server = postgres
    postgres_server.create_database(PROD)
    postgres_server.create_database(DR)
    for role in (WRITER, READER):
        postgres_server.create_user(role, SECRET)
    for database in (PROD, DR):
        postgres_server.execute(DDL, database)
    yield postgres_server
    restore(postgres_server)  # the test may have stopped it
    for database in (PROD, DR):
        postgres_server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def writer_login(database: str = PROD) -> SqlLogin:
    return login(user=WRITER, database=database)


def write(server: PostgresServer, now: datetime, who: SqlLogin | None = None, table: str = TABLE) -> Signal:
    return asyncio.run(
        write_heartbeat(endpoint_of(server), who or writer_login(), table, "sales-dw", now, DEADLINE)
    )


def read(server: PostgresServer, who: SqlLogin | None = None) -> tuple[datetime | None, str | None]:
    who = who or login(user=READER, database=DR)
    return asyncio.run(read_heartbeat(endpoint_of(server), who, TABLE, "sales-dw", DEADLINE))


def sync_to_dr(server: PostgresServer) -> None:
    """Model one DR sync: copy production's heartbeat rows into the DR database."""
    rows = server.execute(f"SELECT writer || '|' || ts::text FROM {TABLE}", PROD).splitlines()
    values = ", ".join(f"('{w}', '{ts}')" for w, ts in (row.split("|") for row in rows))
    server.execute(f"TRUNCATE {TABLE}; INSERT INTO {TABLE} VALUES {values}", DR)


def server_now(server: PostgresServer) -> datetime:
    return datetime.fromisoformat(server.execute("SELECT to_json(now())#>>'{}'"))


def test_write_then_read_after_a_sync_measures_the_lag_against_the_server_clock(
    databases: PostgresServer,
) -> None:
    first = datetime.now(UTC)
    signal = write(databases, first)
    assert signal.verdict is Verdict.UP, signal
    assert signal.source is SignalSource.HEARTBEAT and signal.error is None
    assert signal.latency_seconds is not None and 0 <= signal.latency_seconds < DEADLINE
    # the written point is the watchdog's clock, and it agrees with the real server's clock
    assert abs((server_now(databases) - first).total_seconds()) < 2
    assert read(databases) == (None, None)  # nothing synced yet: no row, not an error
    sync_to_dr(databases)
    later = first + timedelta(seconds=30)
    assert write(databases, later).verdict is Verdict.UP  # production moves on; DR not synced again
    heartbeat_at, error = read(databases)
    assert error is None and heartbeat_at == first
    observed_at = datetime.now(UTC)
    lag = (observed_at - heartbeat_at).total_seconds()
    server_lag = (server_now(databases) - heartbeat_at).total_seconds()
    assert 0 <= lag < 5 and abs(lag - server_lag) < 1
    sync_to_dr(databases)
    assert read(databases) == (later, None)


def test_the_write_is_one_row_per_writer_updated_in_place(databases: PostgresServer) -> None:
    for seconds in range(3):
        assert write(databases, datetime(2026, 12, 2, 8, 0, seconds, tzinfo=UTC)).verdict is Verdict.UP
    rows = databases.execute(f"SELECT writer, extract(second FROM ts)::int FROM {TABLE}", PROD)
    assert rows.splitlines() == ["sales-dw|2"]


@pytest.mark.parametrize(
    ("who", "table", "expected"),
    [
        (writer_login(), "dr_watchdog.no_such_table", "does not exist"),
        (login(user=READER, database=PROD), TABLE, "permission denied"),
        (writer_login(), "bad name; DROP TABLE x", "heartbeat_table"),
        (login(user=WRITER, password="wrong", database=PROD), TABLE, "authentication failed"),
    ],
)
def test_a_failed_write_is_unknown_never_down(
    databases: PostgresServer, who: SqlLogin, table: str, expected: str
) -> None:
    databases.set_hba("scram-sha-256")
    signal = write(databases, datetime.now(UTC), who, table)
    assert signal.verdict is Verdict.UNKNOWN, signal
    assert expected in signal.detail and signal.error == signal.detail


def test_a_write_to_a_stopped_or_frozen_production_is_unknown_never_down(postgres: PostgresServer) -> None:
    postgres.freeze()
    frozen = write(postgres, datetime.now(UTC))
    postgres.thaw()
    postgres.stop()
    stopped = write(postgres, datetime.now(UTC))
    assert frozen.verdict is Verdict.UNKNOWN and "no answer within the deadline" in frozen.detail
    assert frozen.latency_seconds is not None and frozen.latency_seconds < DEADLINE + 0.5
    assert stopped.verdict is Verdict.UNKNOWN and "Connection refused" in stopped.detail


def test_a_write_without_an_address_is_unknown() -> None:
    signal = asyncio.run(write_heartbeat(None, writer_login(), TABLE, "w", datetime.now(UTC), DEADLINE))
    assert signal.verdict is Verdict.UNKNOWN and "no SQL address" in signal.detail


def test_an_unreadable_dr_side_gives_the_reason(databases: PostgresServer) -> None:
    value, error = read(databases, login(user=READER, database="no_such_db"))
    assert value is None and error is not None and "no such database" in error
    databases.stop()
    value, error = read(databases)
    assert value is None and error is not None and "Connection refused" in error
