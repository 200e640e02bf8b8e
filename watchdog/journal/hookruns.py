"""Hook runs in the journal: every pre-failover veto and post-failover command, with its result.

The executor's hooks (`watchdog.hooks`) decide whether a failover goes ahead and repoint clients
after it; an operator asking "why did the watchdog not fail over?" or "did DNS get repointed?"
finds the answer here, next to the intent it belongs to. Rows are never pruned (like intents: they
are few and they explain failovers). The argv is kept, never the environment (which may be given
secrets by the operator); output is kept as a bounded tail.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from watchdog.hooks import OUTPUT_LIMIT, HookKind, HookResult
from watchdog.journal.base import Store, dt, ts


@dataclass(frozen=True)
class HookRunRecord:
    """One journaled hook run. `vetoed`: a pre-failover hook stopped the failover."""

    id: int
    pair: str
    intent_id: int | None
    hook: HookKind
    command: tuple[str, ...]
    started_at: datetime
    duration_seconds: float
    exit_code: int | None
    timed_out: bool
    error: str | None  # set when the command could not start
    vetoed: bool
    stdout_tail: str
    stderr_tail: str

    @property
    def could_not_start(self) -> bool:
        return self.error is not None

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> HookRunRecord:
        return cls(
            id=int(r["id"]),
            pair=r["pair"],
            intent_id=r["intent_id"],
            hook=HookKind(r["hook"]),
            command=tuple(json.loads(r["command"])),
            started_at=dt(r["started_at"]) or datetime.min.replace(tzinfo=UTC),
            duration_seconds=float(r["duration_seconds"]),
            exit_code=r["exit_code"],
            timed_out=bool(r["timed_out"]),
            error=r["error"],
            vetoed=bool(r["vetoed"]),
            stdout_tail=r["stdout_tail"],
            stderr_tail=r["stderr_tail"],
        )


def _tail(text: str) -> str:
    """At most OUTPUT_LIMIT characters, the end kept (the runner bounds bytes; this bounds the row)."""
    return text[-OUTPUT_LIMIT:]


class HookRuns(Store):
    """The hook-run records (mixed into `Journal`)."""

    def record_hook_run(self, pair: str, intent_id: int | None, result: HookResult) -> int:
        """Journal one hook run durably; returns its id. A pre hook that did not allow is `vetoed`."""
        vetoed = result.kind is HookKind.PRE_FAILOVER and not result.allowed
        with self._tx("record hook run") as db:
            row_id = db.execute(
                "INSERT INTO hook_runs (pair, intent_id, hook, command, started_at, duration_seconds, "
                "exit_code, timed_out, error, vetoed, stdout_tail, stderr_tail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pair,
                    intent_id,
                    result.kind.value,
                    json.dumps(list(result.command)),
                    ts(result.started_at),
                    round(result.duration_seconds, 3),
                    result.exit_code,
                    int(result.timed_out),
                    result.error,
                    int(vetoed),
                    _tail(result.stdout),
                    _tail(result.stderr),
                ),
            ).lastrowid
        assert row_id is not None
        return row_id

    def hook_runs(
        self, pair: str | None = None, *, intent_id: int | None = None, limit: int | None = None
    ) -> list[HookRunRecord]:
        """Journaled hook runs, oldest first (the newest `limit` when given), of a pair and/or an intent."""
        clauses: list[str] = []
        args: list[object] = []
        if pair is not None:
            clauses.append("pair = ?")
            args.append(pair)
        if intent_id is not None:
            clauses.append("intent_id = ?")
            args.append(intent_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM hook_runs {where} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._read("read hook runs", sql, tuple(args))
        return [HookRunRecord.from_row(r) for r in reversed(rows)]
