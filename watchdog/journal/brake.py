"""The global brake in the journal: what `watchdog.brake` counts, its trip and the operators' resets.

Counted: automatic intents made since the last reset and inside the window that were or may still be
sent: every intent but those closed unsent (vetoed, aborted, refused before the POST), refused with a
429 (`throttled by the API`) or unreachable (`not sent:`). The trip and the resets are rows of
`brake_events`; the trip is written once per reset (a conditional insert), by the rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from watchdog.journal.base import Store
from watchdog.journal.base import dt as _dt
from watchdog.journal.base import ts as _ts
from watchdog.journal.intents import THROTTLED
from watchdog.model import Brake, FailoverIntent, IntentStatus

_NOT_A_FAILOVER = "status = 'failed' AND (sent_at IS NULL OR detail LIKE ? OR detail LIKE 'not sent:%')"


def counted(intent: FailoverIntent) -> bool:
    """Whether the brake counts this intent (`_NOT_A_FAILOVER`'s negation, for one intent in hand)."""
    detail = intent.detail or ""
    not_a_failover = intent.status is IntentStatus.FAILED and (
        intent.sent_at is None or detail.startswith(THROTTLED) or detail.startswith("not sent:")
    )
    return not intent.manual and not not_a_failover


@dataclass(frozen=True)
class BrakeEvent:
    kind: str
    at: datetime
    owner: str
    note: str | None


class BrakeRecords(Store):
    """The brake's rows (a mixin of `Journal`)."""

    def brake(self, max_failovers: int, window_seconds: float, now: datetime) -> Brake:
        """The brake as the policy reads it at `now`."""
        with self._snapshot("load brake"):
            reset = self._read(
                "load brake", "SELECT id, at FROM brake_events WHERE kind = 'reset' ORDER BY id DESC LIMIT 1"
            )
            reset_id, reset_at = (int(reset[0]["id"]), int(reset[0]["at"])) if reset else (0, None)
            floor = _ts(now - timedelta(seconds=window_seconds)) or 0
            floor = max(floor, reset_at) if reset_at is not None else floor
            rows = self._read(
                "load brake",
                f"SELECT created_at FROM intents WHERE manual = 0 AND created_at >= ? "
                f"AND NOT ({_NOT_A_FAILOVER}) ORDER BY created_at",
                (floor, f"{THROTTLED}%"),
            )
            trip = self._read(
                "load brake",
                "SELECT at FROM brake_events WHERE kind = 'tripped' AND id > ? ORDER BY id LIMIT 1",
                (reset_id,),
            )
        failovers = tuple(t for t in (_dt(r["created_at"]) for r in rows) if t is not None)
        tripped = _dt(trip[0]["at"]) if trip else None
        return Brake(max_failovers, window_seconds, failovers, tripped)

    def trip_brake(self, at: datetime, note: str) -> bool:
        """Engage the brake (once per reset); True if this call engaged it."""
        with self._tx("trip brake") as db:
            last = db.execute("SELECT kind FROM brake_events ORDER BY id DESC LIMIT 1").fetchone()
            if last is not None and last[0] == "tripped":
                return False
            db.execute(
                "INSERT INTO brake_events (kind, at, owner, note) VALUES ('tripped', ?, 'watchdog', ?)",
                (_ts(at), note),
            )
        return True

    def reset_brake(self, owner: str, now: datetime, note: str | None = None) -> bool:
        """An operator re-enables automatic failovers: the failovers so far stop counting and an
        engaged brake is released. True if the brake was engaged."""
        with self._tx("reset brake") as db:
            last = db.execute("SELECT kind FROM brake_events ORDER BY id DESC LIMIT 1").fetchone()
            db.execute(
                "INSERT INTO brake_events (kind, at, owner, note) VALUES ('reset', ?, ?, ?)",
                (_ts(now), owner, note),
            )
        return last is not None and last[0] == "tripped"

    def brake_events(self) -> list[BrakeEvent]:
        rows = self._read("brake events", "SELECT kind, at, owner, note FROM brake_events ORDER BY id")
        return [BrakeEvent(r["kind"], _dt(r["at"]) or datetime.min, r["owner"], r["note"]) for r in rows]
