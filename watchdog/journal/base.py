"""The journal's plumbing: one SQLite connection, short transactions, typed errors, migrations.

WAL mode and a busy timeout let the daemon and CLI commands use the file at once; every
read-modify-write runs under BEGIN IMMEDIATE; `synchronous=FULL` puts an intent on disk before the
failover POST leaves, even across a power cut. Every sqlite3 error (a full disk, an I/O error, a
locked or corrupt file) surfaces as `JournalError` naming the file and the operation: a record is
never lost silently.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchdog.journal.schema import MIGRATIONS, SCHEMA_VERSION


class JournalError(Exception):
    """The journal could not be read or written; the message names the file and the operation."""


class AckRefused(JournalError):
    """`ack` while a failover is still in flight: let it finish (or be reconciled) first."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def ts(value: datetime | None) -> int | None:
    """A point in time as stored: integer Unix microseconds, exact (a float of seconds loses the last
    microsecond, and a replayed decision must match its record bit for bit), and SQL can order them."""
    return (value - _EPOCH) // _MICRO if value is not None else None


def dt(value: float | None) -> datetime | None:
    return _EPOCH + timedelta(microseconds=int(value)) if value is not None else None


class Store:
    """The connection and its discipline; `Journal` adds the records on top."""

    def __init__(self, path: str | Path, *, busy_timeout_seconds: float = 10.0) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout_seconds, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"journal {self.path} (state.path): cannot open: {exc}") from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._setup(busy_timeout_seconds)
        except JournalError as exc:
            self._db.close()
            raise JournalError(f"{exc} (state.path)") from exc
        except BaseException:
            self._db.close()
            raise

    def _setup(self, busy_timeout: float) -> None:
        with self._errors("open"):
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"journal {self.path}: WAL mode refused (got {mode})")
            self._db.execute("PRAGMA synchronous = FULL")
        self._migrate()

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: {operation} failed: {exc}") from exc

    @contextmanager
    def _tx(self, operation: str) -> Iterator[sqlite3.Connection]:
        """One short write transaction under BEGIN IMMEDIATE; rolled back on any error."""
        with self._lock, self._errors(operation):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    @contextmanager
    def _snapshot(self, operation: str) -> Iterator[None]:
        """Several reads that must see one consistent state (a WAL read transaction)."""
        with self._lock, self._errors(operation):
            self._db.execute("BEGIN")
            try:
                yield
            finally:
                if self._db.in_transaction:
                    self._db.execute("COMMIT")

    def _read(self, operation: str, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock, self._errors(operation):
            return self._db.execute(sql, args).fetchall()

    def _migrate(self) -> None:
        """Apply every migration newer than the file's schema version, in order, in one transaction."""
        with self._tx("migrate") as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise JournalError(
                    f"journal {self.path}: schema version {current} is newer than this program's "
                    f"{SCHEMA_VERSION}; upgrade dr-watchdog"
                )
            for version, statements in MIGRATIONS:
                if version > current:
                    for sql in statements:
                        db.execute(sql)
            if row is None:
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            else:
                db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    @property
    def schema_version(self) -> int:
        return int(self._read("read schema version", "SELECT version FROM schema_version")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
