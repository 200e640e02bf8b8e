"""Operators' word in the journal: pauses (who, why, until when) and acks (who re-armed a pair, why).

`pause`/`resume` write the pauses table and `ack` clears the latch (the acks table keeps who and why);
`Journal.load_state` joins them into the `PairState` the policy reads, so a pause or an ack given
beside a running daemon counts from its next round. Neither is ever pruned.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from watchdog.journal.base import AckRefused, Store
from watchdog.journal.base import dt as _dt
from watchdog.journal.base import ts as _ts
from watchdog.model import IntentStatus, Pause

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PAUSES = (
    "SELECT * FROM pauses WHERE resumed_at IS NULL{where} ORDER BY pair IS NULL, created_at DESC, id DESC"
)


def _pause(r: sqlite3.Row) -> Pause:
    return Pause(r["reason"], r["owner"], _dt(r["created_at"]) or _EPOCH, _dt(r["until"]), r["pair"])


def holding(pair: str, rows: Iterable[sqlite3.Row], now: datetime | None) -> Pause | None:
    """The pause holding `pair` among unresumed pause rows in the query's order (its own before a
    global one, newest first); with `now`, only one still active at `now`."""
    for r in rows:
        if r["pair"] is None or r["pair"] == pair:
            pause = _pause(r)
            if now is None or pause.active(now):
                return pause
    return None


OPEN_STATUSES = (IntentStatus.INTENDED.value, IntentStatus.SUBMITTED.value)


class Operators(Store):
    """Pauses and acks on the journal's connection (a mixin of `Journal`)."""

    def pause(
        self, pair: str | None, reason: str, owner: str, now: datetime, until: datetime | None = None
    ) -> Pause:
        """Pause one pair (or all with pair=None): probes and records go on, no automatic action."""
        if not reason.strip():
            raise ValueError("reason: a pause needs a reason")
        if until is not None and until <= now:
            raise ValueError(f"until: {until.isoformat()} is not in the future")
        with self._tx("pause") as db:
            db.execute(
                "INSERT INTO pauses (pair, reason, owner, created_at, until) VALUES (?, ?, ?, ?, ?)",
                (pair, reason, owner, _ts(now), _ts(until)),
            )
        return Pause(reason, owner, now, until, pair)

    def resume(self, pair: str | None, owner: str, now: datetime) -> int:
        """End the pauses of one pair (pair=None: every pause). Returns how many ended."""
        where, args = ("", ()) if pair is None else (" AND pair = ?", (pair,))
        with self._tx("resume") as db:
            return db.execute(
                f"UPDATE pauses SET resumed_at = ?, resumed_by = ? WHERE resumed_at IS NULL{where}",
                (_ts(now), owner, *args),
            ).rowcount

    def active_pause(self, pair: str, now: datetime | None = None) -> Pause | None:
        """The pause holding `pair` (its own before a global one), if any."""
        rows = self._read("read pauses", _PAUSES.format(where=" AND (pair = ? OR pair IS NULL)"), (pair,))
        return holding(pair, rows, now)

    def pauses(self, pair: str | None = None) -> list[PauseRecord]:
        """Every pause given (the pair's own and the global ones), oldest first: who, why, when, until."""
        where, args = ("WHERE pair = ? OR pair IS NULL", (pair,)) if pair else ("", ())
        rows = self._read("read pauses", f"SELECT * FROM pauses {where} ORDER BY id", args)
        return [
            PauseRecord(
                Pause(r["reason"], r["owner"], _dt(r["created_at"]) or _EPOCH, _dt(r["until"]), r["pair"]),
                _dt(r["resumed_at"]),
                r["resumed_by"],
            )
            for r in rows
        ]

    def acks(self, pair: str | None = None) -> list[AckRecord]:
        """Every ack, oldest first: who re-armed which pair, when, and why."""
        where, args = ("WHERE pair = ?", (pair,)) if pair else ("", ())
        rows = self._read("read acks", f"SELECT * FROM acks {where} ORDER BY id", args)
        return [
            AckRecord(r["pair"], r["owner"], _dt(r["at"]) or _EPOCH, r["note"], bool(r["was_latched"]))
            for r in rows
        ]

    def ack(self, pair: str, owner: str, now: datetime, note: str | None = None) -> bool:
        """Re-arm automatic failover after a failover: clear the latch (the cooldown still runs).

        Also closes an unresolved (`unknown`) intent: the operator has checked the DR task. Refused
        while an intent is still intended or submitted. Returns whether the pair was latched.
        """
        with self._tx("ack") as db:
            placeholders = ",".join("?" * len(OPEN_STATUSES))
            busy = db.execute(
                f"SELECT id FROM intents WHERE pair = ? AND status IN ({placeholders})",
                (pair, *OPEN_STATUSES),
            ).fetchone()
            if busy is not None:
                raise AckRefused(f"pair {pair}: failover intent {busy[0]} is still in flight; not acked")
            row = db.execute("SELECT latched FROM pair_state WHERE pair = ?", (pair,)).fetchone()
            was = bool(row and row[0])
            db.execute("UPDATE pair_state SET latched = 0, latched_at = NULL WHERE pair = ?", (pair,))
            db.execute(
                "UPDATE intents SET acked_at = ? WHERE pair = ? AND status = ? AND acked_at IS NULL",
                (_ts(now), pair, IntentStatus.UNKNOWN.value),
            )
            db.execute(
                "INSERT INTO acks (pair, owner, note, at, was_latched) VALUES (?, ?, ?, ?, ?)",
                (pair, owner, note, _ts(now), int(was)),
            )
        return was


@dataclass(frozen=True)
class PauseRecord:
    """A pause as given, and when and by whom it was ended (None: still in force or expired by itself)."""

    pause: Pause
    resumed_at: datetime | None
    resumed_by: str | None


@dataclass(frozen=True)
class AckRecord:
    """An operator re-armed automatic failover on a pair."""

    pair: str
    owner: str
    at: datetime
    note: str | None
    was_latched: bool
