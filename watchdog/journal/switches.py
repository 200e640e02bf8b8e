"""Planned switchovers and drill legs in the journal: written before the POST, so a crash between the
two is reconciled with the DR task's roles on the next run instead of switching again."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from watchdog.journal.base import Store, dt, ts

OPEN = ("intended", "sent", "switched")
STEP_COLUMN = {"sent": "sent_at", "switched": "switched_at", "completed": "answered_at"}


@dataclass(frozen=True)
class Switch:
    id: int
    pair: str
    disaster_recovery_id: str
    drill_id: int | None  # the first leg's id for every leg of one drill (None: a plain switchover)
    leg: int
    legs: int
    from_primary: str
    to_primary: str
    status: str  # intended, sent, switched (roles swapped), completed (the new production answered), failed
    requested_by: str
    created_at: datetime
    sent_at: datetime | None
    switched_at: datetime | None
    answered_at: datetime | None
    detail: str | None

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def seconds(self, until: datetime | None) -> float | None:
        """From the POST to `until` (the switch, or the new production answering)."""
        return (until - self.sent_at).total_seconds() if until and self.sent_at else None

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> Switch:
        return cls(
            int(r["id"]),
            r["pair"],
            r["disaster_recovery_id"],
            r["drill_id"],
            int(r["leg"]),
            int(r["legs"]),
            r["from_primary"],
            r["to_primary"],
            r["status"],
            r["requested_by"],
            dt(r["created_at"]),  # type: ignore[arg-type]  # NOT NULL
            dt(r["sent_at"]),
            dt(r["switched_at"]),
            dt(r["answered_at"]),
            r["detail"],
        )


class Switches(Store):
    def create_switch(
        self,
        pair: str,
        dr_id: str,
        roles: tuple[str, str],
        requested_by: str,
        now: datetime,
        *,
        drill_id: int | None = None,
        leg: int = 1,
        legs: int = 1,
    ) -> Switch:
        """A new leg (intended); ValueError naming the open one if the pair has one."""
        with self._tx("create switch") as db:
            busy = db.execute(
                "SELECT id FROM switches WHERE pair = ? AND status IN ('intended', 'sent', 'switched')",
                (pair,),
            ).fetchone()
            if busy is not None:
                raise ValueError(f"switchover {busy['id']} of {pair} is not finished")
            cur = db.execute(
                "INSERT INTO switches (pair, disaster_recovery_id, drill_id, leg, legs, from_primary, "
                "to_primary, status, requested_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'intended', ?, ?)",
                (pair, dr_id, drill_id, leg, legs, roles[0], roles[1], requested_by, ts(now)),
            )
            new_id = int(cur.lastrowid or 0)
            if drill_id is None and legs > 1:  # the first leg of a drill names the drill
                db.execute("UPDATE switches SET drill_id = id WHERE id = ?", (new_id,))
        return self.switch(new_id)

    def mark_switch(self, switch_id: int, status: str, now: datetime, detail: str | None = None) -> Switch:
        column = STEP_COLUMN.get(status)
        stamp = f", {column} = COALESCE({column}, ?)" if column else ""
        args = (status, *((ts(now),) if column else ()), detail, switch_id)
        with self._tx("mark switch") as db:
            db.execute(
                f"UPDATE switches SET status = ?{stamp}, detail = COALESCE(?, detail) WHERE id = ?", args
            )
        return self.switch(switch_id)

    def switch(self, switch_id: int) -> Switch:
        return Switch.from_row(
            self._read("read switch", "SELECT * FROM switches WHERE id = ?", (switch_id,))[0]
        )

    def switches(self, pair: str | None = None) -> list[Switch]:
        where, args = ("WHERE pair = ?", (pair,)) if pair else ("", ())
        return [
            Switch.from_row(r)
            for r in self._read("read switches", f"SELECT * FROM switches {where} ORDER BY id", args)
        ]
