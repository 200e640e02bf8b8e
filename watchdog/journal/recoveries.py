"""Guarded switchbacks in the journal: a `/recovery` is written down before it is sent, so a crash
between the two never sends it twice (`dr-watchdog recover` refuses while a row is unfinished)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from watchdog.journal.base import Store, dt, ts


@dataclass(frozen=True)
class Recovery:
    id: int
    pair: str
    disaster_recovery_id: str
    intent_id: int
    deleted_cluster_id: str  # the cluster whose data the recovery deletes (the old production)
    status: str  # intended, sent, completed, failed
    requested_by: str
    created_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    detail: str | None

    @property
    def open(self) -> bool:
        return self.status in ("intended", "sent")

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> Recovery:
        return cls(
            int(r["id"]),
            r["pair"],
            r["disaster_recovery_id"],
            int(r["intent_id"]),
            r["deleted_cluster_id"],
            r["status"],
            r["requested_by"],
            dt(r["created_at"]),  # type: ignore[arg-type]  # NOT NULL
            dt(r["sent_at"]),
            dt(r["finished_at"]),
            r["detail"],
        )


class Recoveries(Store):
    def create_recovery(
        self, pair: str, dr_id: str, intent_id: int, deleted: str, requested_by: str, now: datetime
    ) -> Recovery:
        """A new recovery (intended); ValueError naming the open one if the pair has one."""
        with self._tx("create recovery") as db:
            busy = db.execute(
                "SELECT id FROM recoveries WHERE pair = ? AND status IN ('intended', 'sent')", (pair,)
            ).fetchone()
            if busy is not None:
                raise ValueError(f"recovery {busy['id']} of {pair} is not finished")
            cur = db.execute(
                "INSERT INTO recoveries (pair, disaster_recovery_id, intent_id, deleted_cluster_id, status, "
                "requested_by, created_at) VALUES (?, ?, ?, ?, 'intended', ?, ?)",
                (pair, dr_id, intent_id, deleted, requested_by, ts(now)),
            )
            new_id = int(cur.lastrowid or 0)
        return self.recovery(new_id)

    def mark_recovery(
        self, recovery_id: int, status: str, now: datetime, detail: str | None = None
    ) -> Recovery:
        column = "sent_at" if status == "sent" else "finished_at"
        with self._tx("mark recovery") as db:
            db.execute(
                f"UPDATE recoveries SET status = ?, {column} = ?, detail = COALESCE(?, detail) WHERE id = ?",
                (status, ts(now), detail, recovery_id),
            )
        return self.recovery(recovery_id)

    def recovery(self, recovery_id: int) -> Recovery:
        rows = self._read("read recovery", "SELECT * FROM recoveries WHERE id = ?", (recovery_id,))
        return Recovery.from_row(rows[0])

    def recoveries(self, pair: str | None = None) -> list[Recovery]:
        where, args = ("WHERE pair = ?", (pair,)) if pair else ("", ())
        rows = self._read("read recoveries", f"SELECT * FROM recoveries {where} ORDER BY id", args)
        return [Recovery.from_row(r) for r in rows]
