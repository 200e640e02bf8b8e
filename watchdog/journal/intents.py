"""Failover intents in the journal: their lifecycle, and the latch the executor sets when one ends.

At most one intent per pair is open (intended, submitted, or unknown and not yet acked): creating a
second one is refused inside the same BEGIN IMMEDIATE transaction that checks, so a daemon and a CLI
`failover` racing each other cannot both POST.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from watchdog.journal.base import JournalError, Store, dt, ts
from watchdog.model import FailoverIntent, IntentStatus

THROTTLED = "throttled by the API"  # how a 429-refused intent's detail begins (throttled_streak)
ORPHAN_AT_STARTUP = "latch of a failover decision without an intent released at start-up: nothing was sent"
_OPEN = "(status IN ('intended', 'submitted') OR (status = 'unknown' AND acked_at IS NULL))"


class IntentConflict(JournalError):
    """A failover intent is already open for this pair: never two at once."""


class IntentAlreadyFinal(JournalError):
    """The intent was already completed or failed (another process finished it first)."""


class IntentAlreadySent(JournalError):
    """The intent was marked sent meanwhile (by the process that made it): it can no longer be closed
    as "never sent"; follow it as a sent intent instead."""


def _intent(r: sqlite3.Row) -> FailoverIntent:
    return FailoverIntent(
        id=int(r["id"]),
        pair=r["pair"],
        disaster_recovery_id=r["disaster_recovery_id"],
        status=IntentStatus(r["status"]),
        created_at=dt(r["created_at"]) or datetime.min,
        old_primary_id=r["old_primary_id"],
        old_standby_id=r["old_standby_id"],
        manual=bool(r["manual"]),
        forced=bool(r["forced"]),
        requested_by=r["requested_by"],
        decision_id=r["decision_id"],
        first_down_at=dt(r["first_down_at"]),
        expected_data_loss_seconds=r["expected_data_loss_seconds"],
        sent_at=dt(r["sent_at"]),
        submitted_at=dt(r["submitted_at"]),
        finished_at=dt(r["finished_at"]),
        acked_at=dt(r["acked_at"]),
        leader_term=r["leader_term"],
        request_id=r["request_id"],
        detail=r["detail"],
    )


class Intents(Store):
    """The intent records (mixed into `Journal`)."""

    def create_intent(
        self,
        pair: str,
        disaster_recovery_id: str,
        now: datetime,
        *,
        old_primary_id: str | None,
        old_standby_id: str | None,
        manual: bool = False,
        forced: bool = False,
        requested_by: str = "watchdog",
        decision_id: int | None = None,
        first_down_at: datetime | None = None,
        expected_data_loss_seconds: float | None = None,
        leader_term: int | None = None,
    ) -> FailoverIntent:
        """Journal a new intent (status intended) durably; IntentConflict if one is open for the pair."""
        with self._tx("create intent") as db:
            busy = db.execute(
                f"SELECT id, status FROM intents WHERE pair = ? AND {_OPEN}", (pair,)
            ).fetchone()
            if busy is not None:
                raise IntentConflict(f"pair {pair}: failover intent {busy[0]} is already {busy[1]}")
            if decision_id is None:
                row = db.execute(
                    "SELECT id FROM decisions WHERE pair = ? AND action = 'failover' "
                    "ORDER BY id DESC LIMIT 1",
                    (pair,),
                ).fetchone()
                decision_id = int(row[0]) if row else None
            new_id = db.execute(
                "INSERT INTO intents (pair, disaster_recovery_id, status, created_at, old_primary_id, "
                "old_standby_id, manual, forced, requested_by, decision_id, first_down_at, "
                "expected_data_loss_seconds, leader_term) "
                "VALUES (?, ?, 'intended', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pair,
                    disaster_recovery_id,
                    ts(now),
                    old_primary_id,
                    old_standby_id,
                    int(manual),
                    int(forced),
                    requested_by,
                    decision_id,
                    ts(first_down_at),
                    expected_data_loss_seconds,
                    leader_term,
                ),
            ).lastrowid
        assert new_id is not None
        return self.intent(new_id)

    def _update(self, operation: str, intent_id: int, sql: str, args: tuple[object, ...]) -> FailoverIntent:
        """Update an intent that is not final yet; IntentAlreadyFinal if it is."""
        with self._tx(operation) as db:
            row = db.execute("SELECT status FROM intents WHERE id = ?", (intent_id,)).fetchone()
            if row is None:
                raise JournalError(f"journal {self.path}: {operation}: no intent {intent_id}")
            if IntentStatus(row[0]).final:
                raise IntentAlreadyFinal(f"intent {intent_id} is already {row[0]}")
            db.execute(f"UPDATE intents SET {sql} WHERE id = ?", (*args, intent_id))
        return self.intent(intent_id)

    def mark_sent(self, intent_id: int, now: datetime) -> FailoverIntent:
        """Written right before the POST: an intent without `sent_at` was provably never sent.

        One conditional UPDATE: only an intent still `intended` and unsent is marked, so an intent
        that another process closed meanwhile (`close_unsent`, an operator) is never sent.
        """
        with self._tx("mark intent sent") as db:
            marked = db.execute(
                "UPDATE intents SET sent_at = ? WHERE id = ? AND status = 'intended' AND sent_at IS NULL",
                (ts(now), intent_id),
            ).rowcount
            if not marked:
                row = db.execute("SELECT status FROM intents WHERE id = ?", (intent_id,)).fetchone()
                if row is not None and IntentStatus(row["status"]).final:
                    raise IntentAlreadyFinal(f"intent {intent_id} is already {row['status']}: not sent")
                raise JournalError(f"journal {self.path}: intent {intent_id} is not an unsent intent")
        return self.intent(intent_id)

    def close_unsent(self, intent_id: int, now: datetime, detail: str) -> FailoverIntent:
        """Close an intent that was never sent as failed, and lift its latch and cooldown: ONE
        transaction, conditioned on `sent_at IS NULL`, so it can never close an intent whose POST its
        maker is sending (IntentAlreadySent; IntentAlreadyFinal if it was closed already)."""
        with self._tx("close unsent intent") as db:
            closed = db.execute(
                "UPDATE intents SET status = 'failed', finished_at = ?, "
                "detail = COALESCE(detail || '; ', '') || ? "
                "WHERE id = ? AND status = 'intended' AND sent_at IS NULL",
                (ts(now), detail, intent_id),
            ).rowcount
            row = db.execute("SELECT pair, status FROM intents WHERE id = ?", (intent_id,)).fetchone()
            if row is None:
                raise JournalError(f"journal {self.path}: close unsent intent: no intent {intent_id}")
            if not closed:
                if IntentStatus(row["status"]).final:
                    raise IntentAlreadyFinal(f"intent {intent_id} is already {row['status']}")
                raise IntentAlreadySent(f"intent {intent_id} was sent meanwhile: not closed")
            db.execute(
                "UPDATE pair_state SET latched = 0, latched_at = NULL, cooldown_until = NULL WHERE pair = ?",
                (row["pair"],),
            )
        return self.intent(intent_id)

    def mark_submitted(
        self, intent_id: int, now: datetime, *, request_id: str | None = None, detail: str | None = None
    ) -> FailoverIntent:
        """The API took the failover (a 200, or the DR task shows the switch after an ambiguous answer)."""
        return self._update(
            "mark intent submitted",
            intent_id,
            "status = 'submitted', submitted_at = COALESCE(submitted_at, ?), "
            "request_id = COALESCE(?, request_id), detail = COALESCE(detail || '; ' || ?, ?, detail)",
            (ts(now), request_id, detail, detail),
        )

    def mark_unknown(self, intent_id: int, now: datetime, detail: str) -> FailoverIntent:
        """We cannot tell whether the API took it: never re-sent; reconciled later or resolved by `ack`."""
        return self._update(
            "mark intent unknown",
            intent_id,
            "status = 'unknown', detail = COALESCE(detail || '; ', '') || ?",
            (f"{detail} (at {now.isoformat()})",),
        )

    def finish_intent(
        self,
        intent_id: int,
        status: IntentStatus,
        now: datetime,
        detail: str,
        *,
        release_latch: bool = False,
        cooldown_seconds: float | None = None,
    ) -> FailoverIntent:
        """Close an intent as completed or failed, and set the pair's latch in the same transaction.

        `release_latch` is for an intent that provably never reached the API (the connection failed)
        or that the API refused as throttled (429): the latch and cooldown its decision set are
        lifted so the next rounds decide again (after `cooldown_seconds`, if given: the backoff after
        a 429). Otherwise the pair stays latched until `ack`, with the cooldown running from now.
        """
        if not status.final:
            raise ValueError(f"status: {status.value} is not final")
        with self._tx("finish intent") as db:
            row = db.execute("SELECT pair, status FROM intents WHERE id = ?", (intent_id,)).fetchone()
            if row is None:
                raise JournalError(f"journal {self.path}: finish intent: no intent {intent_id}")
            if IntentStatus(row["status"]).final:
                raise IntentAlreadyFinal(f"intent {intent_id} is already {row['status']}")
            db.execute(
                "UPDATE intents SET status = ?, finished_at = ?, "
                "detail = COALESCE(detail || '; ', '') || ? WHERE id = ?",
                (status.value, ts(now), detail, intent_id),
            )
            db.execute("INSERT OR IGNORE INTO pair_state (pair) VALUES (?)", (row["pair"],))
            if release_latch:  # with cooldown_seconds: the backoff before the next attempt (a 429)
                until = ts(now + timedelta(seconds=cooldown_seconds)) if cooldown_seconds else None
                sql = "latched = 0, latched_at = NULL, cooldown_until = ?"
                args_t: tuple[object, ...] = (until,)
            else:
                until = (
                    ts(now + timedelta(seconds=cooldown_seconds)) if cooldown_seconds is not None else None
                )
                sql = (
                    "latched = 1, latched_at = COALESCE(latched_at, ?), "
                    "cooldown_until = COALESCE(?, cooldown_until)"
                )
                args_t = (ts(now), until)
            db.execute(f"UPDATE pair_state SET {sql} WHERE pair = ?", (*args_t, row["pair"]))
        return self.intent(intent_id)

    def release_orphan_latch(self, pair: str, now: datetime, reason: str = ORPHAN_AT_STARTUP) -> bool:
        """Lift a latch whose FAILOVER decision never got an intent (stopped, or the intent could not
        be written, between the two writes); `reason` goes to the acks table as the watchdog's own
        re-arm (owner `watchdog`), so the audit trail says why the latch went.

        An intent counts if it was made after the latch or for the newest FAILOVER decision (its
        `decision_id`): the second test holds even when the wall clock stepped back between the
        decision and the intent, which must never lift the latch (and cooldown) of a real failover.
        """
        with self._tx("release orphan latch") as db:
            row = db.execute("SELECT latched, latched_at FROM pair_state WHERE pair = ?", (pair,)).fetchone()
            if row is None or not row["latched"] or row["latched_at"] is None:
                return False
            newest = db.execute(
                "SELECT MAX(id) FROM decisions WHERE pair = ? AND action = 'failover'", (pair,)
            ).fetchone()[0]
            since = db.execute(
                "SELECT COUNT(*) FROM intents WHERE pair = ? AND (created_at >= ? OR decision_id >= ?)",
                (pair, row["latched_at"], newest),
            ).fetchone()[0]
            if since:
                return False
            db.execute(
                "UPDATE pair_state SET latched = 0, latched_at = NULL, cooldown_until = NULL WHERE pair = ?",
                (pair,),
            )
            db.execute(
                "INSERT INTO acks (pair, owner, note, at, was_latched) VALUES (?, 'watchdog', ?, ?, 1)",
                (pair, reason, ts(now)),
            )
            return True

    def latched_pairs(self) -> list[str]:
        return [r[0] for r in self._read("read latches", "SELECT pair FROM pair_state WHERE latched = 1")]

    def intent(self, intent_id: int) -> FailoverIntent:
        rows = self._read("read intent", "SELECT * FROM intents WHERE id = ?", (intent_id,))
        if not rows:
            raise JournalError(f"journal {self.path}: no intent {intent_id}")
        return _intent(rows[0])

    def intents(self, pair: str | None = None) -> list[FailoverIntent]:
        """Every intent, oldest first."""
        where, args = ("WHERE pair = ?", (pair,)) if pair else ("", ())
        return [
            _intent(r) for r in self._read("read intents", f"SELECT * FROM intents {where} ORDER BY id", args)
        ]

    def open_intent(self, pair: str) -> FailoverIntent | None:
        rows = self._read("read open intent", f"SELECT * FROM intents WHERE pair = ? AND {_OPEN}", (pair,))
        return _intent(rows[0]) if rows else None

    def throttled_streak(self, pair: str, before_id: int) -> int:
        """How many of the pair's intents in a row before intent `before_id` the API refused as
        throttled (429)."""
        rows = self._read(
            "read throttled intents",
            "SELECT detail FROM intents WHERE pair = ? AND id < ? ORDER BY id DESC LIMIT 32",
            (pair, before_id),
        )
        streak = 0
        for row in rows:
            if not (row["detail"] or "").startswith(THROTTLED):
                break
            streak += 1
        return streak

    def latest_intent(self, pair: str) -> FailoverIntent | None:
        """The pair's newest intent, whatever its status."""
        rows = self._read(
            "read latest intent", "SELECT * FROM intents WHERE pair = ? ORDER BY id DESC LIMIT 1", (pair,)
        )
        return _intent(rows[0]) if rows else None

    def open_intents(self) -> list[FailoverIntent]:
        """Every intent not yet final (and unknown ones not acked): what `reconcile` must settle."""
        return [_intent(r) for r in self._read("read open intents", f"SELECT * FROM intents WHERE {_OPEN}")]
