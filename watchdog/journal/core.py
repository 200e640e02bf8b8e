"""The journal: pair state and the audit trail (decisions with their observations).

Pauses and acks are in operators.py, intents in intents.py, hook runs in hookruns.py; `Journal` is
all of them on one SQLite file.

Opened at once by the daemon and by CLI commands (status, pause, resume, ack, failover). Who writes
what, so that no writer overwrites another's change:
- `record` (the daemon, once per pair per round) writes the outage counters and the baseline, and the
  latch and cooldown only when the decision was FAILOVER;
- `pause`/`resume` write the pauses table; `ack` clears the latch (the acks table keeps who and why);
- the executor writes intents, and the latch when it finishes one (intents.py).
`load_state` joins them back into the `PairState` the policy reads, so a pause or an ack given beside
a running daemon counts from its next round.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchdog import codec
from watchdog.journal.base import dt as _dt
from watchdog.journal.base import ts as _ts
from watchdog.journal.brake import BrakeRecords
from watchdog.journal.hookruns import HookRuns
from watchdog.journal.recoveries import Recoveries
from watchdog.journal.runs import RunKey, run_key, spread
from watchdog.journal.states import States
from watchdog.journal.switches import Switches
from watchdog.model import Action, Decision, Observation, PairState


class Journal(States, HookRuns, Recoveries, Switches, BrakeRecords):
    """The SQLite journal at `path` (created with its directory if missing, migrated to the newest schema).

    Raises `JournalError` for anything the file system or SQLite refuses.
    """

    def __init__(self, path: str | Path, *, busy_timeout_seconds: float = 10.0) -> None:
        super().__init__(path, busy_timeout_seconds=busy_timeout_seconds)
        self._runs: dict[str, tuple[int, RunKey | None]] = {}  # pair -> (newest row's id, its run's key)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(
        self,
        observation: Observation,
        decision: Decision,
        next_state: PairState,
        *,
        state_before: PairState | None = None,
    ) -> int:
        """Journal one round atomically: the observation, the decision (audit) and the next state.

        Only the counters and the baseline are written from `next_state`, plus the latch and the
        cooldown when the decision is FAILOVER; pauses, acks and intents are left as others wrote
        them. `state_before` (the state the policy decided on) makes the decision exactly
        re-checkable later (`replay.verify_recorded`). Returns the decision's id.
        """
        return self.record_many([RoundRecord(observation, decision, next_state, state_before)])[0]

    def record_many(self, rounds: Sequence[RoundRecord | EncodedRound]) -> list[int]:
        """`record` for many pairs in ONE transaction (one fsync per round, not per pair: scale).

        All or nothing: if the write fails, no decision of the batch is recorded. The JSON bodies are
        encoded before the transaction opens (so the write lock is held for the inserts only); pass
        `encode_round` results to keep one pair's unencodable observation from failing the batch.

        A round identical to the pair's previous one (`runs.run_key`: no failover started, the same
        decision from the same observation and state, times and counts that only restate time
        aside) extends that row's run (`repeats`, `last_at`) instead of adding one: every round is
        still accounted for.
        """
        encoded = [r if isinstance(r, EncodedRound) else self.encode_round(r) for r in rounds]
        runs: dict[str, tuple[int, RunKey | None]] = {}
        with self._tx("record decisions") as db:
            ids = []
            for e in encoded:
                pair = e.round.decision.pair
                dec_id = self._extend_run(db, e.round.decision, e.run_key)
                if dec_id is not None:  # the run goes on, and keeps its first round's key
                    runs[pair] = (dec_id, self._runs[pair][1])
                else:  # a repeat prepared without bodies whose run could not go on: encoded now
                    e = e if e.observation_body is not None else self.encode_round(e.round, e.run_key)
                    runs[pair] = (dec_id := self._insert_round(db, e), e.run_key)
                self._write_state(db, e.round)
                ids.append(dec_id)
        self._runs.update(runs)  # only once committed: a failed batch leaves the runs as they were
        return ids

    @staticmethod
    def encode_round(r: RoundRecord, key: RunKey | None = None) -> EncodedRound:
        """The JSON bodies and the run key of one pair's round, checked before any write (raises if
        unencodable), so the write lock is held for the inserts only."""
        before = r.state_before
        return EncodedRound(
            r,
            codec.observation_json(r.observation),
            codec.decision_json(r.decision),
            codec.pair_state_json(before) if before is not None else None,
            key or run_key(r.observation, r.decision, before),
        )

    def prepare_round(self, r: RoundRecord) -> EncodedRound:
        """`encode_round`, without the bodies when the round repeats the pair's run (nothing is written
        from them: the run is extended; at steady state nearly every round). Should the run not go
        on in `record_many` (another process wrote a row), they are encoded there: the run's first
        round, equal but for its times, was encodable."""
        key = run_key(r.observation, r.decision, r.state_before)
        if self._repeats(r.decision.pair, key):
            return EncodedRound(r, None, None, None, key)
        return self.encode_round(r, key)

    def _repeats(self, pair: str, key: RunKey | None) -> bool:
        cached = self._runs.get(pair)
        return key is not None and cached is not None and cached[1] is not None and key.repeats(cached[1])

    def _insert_round(self, db: sqlite3.Connection, e: EncodedRound) -> int:
        obs, decision = e.round.observation, e.round.decision
        obs_id = db.execute(
            "INSERT INTO observations (pair, observed_at, body) VALUES (?, ?, ?)",
            (obs.pair, _ts(obs.observed_at), e.observation_body),
        ).lastrowid
        dec_id = db.execute(
            "INSERT INTO decisions (pair, at, state, action, rule, verdict, observation_id, body, "
            "state_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                decision.pair,
                _ts(decision.at),
                decision.state.value,
                decision.action.value,
                decision.rule.value,
                decision.verdict.value,
                obs_id,
                e.decision_body,
                e.state_before_body,
            ),
        ).lastrowid
        assert dec_id is not None
        return dec_id

    def _extend_run(self, db: sqlite3.Connection, decision: Decision, key: RunKey | None) -> int | None:
        """Count this round on the pair's newest row if it repeats it; its id, or None to insert."""
        if not self._repeats(decision.pair, key):
            return None
        cached = self._runs[decision.pair]
        extended = db.execute(  # still the pair's newest row? (another process may have written one)
            "UPDATE decisions SET repeats = repeats + 1, last_at = ? WHERE id = ? AND id = "
            "(SELECT MAX(id) FROM decisions WHERE pair = ?)",
            (_ts(decision.at), cached[0], decision.pair),
        ).rowcount
        return cached[0] if extended == 1 else None

    def _write_state(self, db: sqlite3.Connection, r: RoundRecord) -> None:
        decision = r.decision
        self._write_counters(db, decision.pair, r.next_state, decision.at)
        if decision.action is Action.FAILOVER:
            self._write_latch(db, decision.pair, r.next_state)

    def _write_counters(self, db: sqlite3.Connection, pair: str, state: PairState, at: datetime) -> None:
        db.execute(
            "INSERT INTO pair_state (pair, consecutive_down, first_down_at, last_down_at, last_up_at, "
            "baseline_primary_id, updated_at, outage_seconds, rearm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (pair) DO UPDATE SET "
            "consecutive_down = excluded.consecutive_down, first_down_at = excluded.first_down_at, "
            "last_down_at = excluded.last_down_at, last_up_at = excluded.last_up_at, "
            "baseline_primary_id = excluded.baseline_primary_id, updated_at = excluded.updated_at, "
            "outage_seconds = excluded.outage_seconds, rearm = excluded.rearm",
            (
                pair,
                state.consecutive_down,
                _ts(state.first_down_at),
                _ts(state.last_down_at),
                _ts(state.last_up_at),
                state.baseline_primary_id,
                _ts(at),
                state.outage_seconds,
                int(state.rearm),
            ),
        )

    def _write_latch(self, db: sqlite3.Connection, pair: str, state: PairState) -> None:
        db.execute(
            "UPDATE pair_state SET latched = ?, latched_at = ?, cooldown_until = ? WHERE pair = ?",
            (int(state.latched), _ts(state.latched_at), _ts(state.cooldown_until), pair),
        )

    # ---- the audit trail ------------------------------------------------------------------------------
    def decisions(self, pair: str | None = None, *, limit: int | None = None) -> list[RecordedDecision]:
        """Recorded decisions, oldest first (the newest `limit` when given)."""
        where, args = ("WHERE d.pair = ?", (pair,)) if pair else ("", ())
        sql = (
            "SELECT d.id, d.body, d.state_before, d.repeats, d.last_at, o.body AS observation "
            "FROM decisions d "
            f"JOIN observations o ON o.id = d.observation_id {where} ORDER BY d.id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._read("read decisions", sql, args)
        return [RecordedDecision.from_row(r) for r in reversed(rows)]

    def latest_decision(self, pair: str) -> Decision | None:
        found = self.decisions(pair, limit=1)
        return found[0].decision if found else None

    def observations(
        self, pair: str | None = None, since: datetime | None = None, *, page: int = 1000
    ) -> Iterator[Observation]:
        """Recorded observations in time order (for `export`), read a page at a time (a month is big).

        A run of identical rounds is its first round's observation; a run of DOWN rounds is every
        round it stands for (`runs.spread`), since the policy counts each one.
        """
        start = _ts(since)
        # keyset pagination on (observed_at, id); the first key sits just before `since`
        after: tuple[object, int] = (start - 1, 2**62) if start is not None else (float("-inf"), 0)
        pair_filter = " AND o.pair = ?" if pair else ""
        sql = (
            "SELECT o.id, o.observed_at, o.body, d.verdict, d.repeats, d.at, d.last_at FROM observations o "
            "LEFT JOIN decisions d ON d.observation_id = o.id WHERE (o.observed_at, o.id) > (?, ?)"
            f"{pair_filter} ORDER BY o.observed_at, o.id LIMIT {int(page)}"
        )
        while True:
            args = (*after, pair) if pair else after
            rows = self._read("read observations", sql, args)
            for row in rows:
                obs = codec.observation_from_dict(codec.loads(row["body"]))
                yield obs
                first, last = _dt(row["at"]), _dt(row["last_at"])
                if row["verdict"] == "down" and row["repeats"] and first is not None and last is not None:
                    yield from spread(obs, int(row["repeats"]), first, last)
            if len(rows) < page:
                return
            after = (rows[-1]["observed_at"], rows[-1]["id"])

    def prune(self, before: datetime) -> int:
        """Retention: delete decisions and observations older than `before` (intents, acks, pauses stay)."""
        with self._tx("prune") as db:
            cut = _ts(before)
            gone = db.execute("DELETE FROM decisions WHERE COALESCE(last_at, at) < ?", (cut,)).rowcount
            gone += db.execute(
                "DELETE FROM observations WHERE observed_at < ? AND id NOT IN "
                "(SELECT observation_id FROM decisions)",
                (cut,),
            ).rowcount
        return gone


@dataclass(frozen=True)
class RoundRecord:
    """One pair's round for `record_many`: the observation, the decision, the next state, the input state."""

    observation: Observation
    decision: Decision
    next_state: PairState
    state_before: PairState | None = None


@dataclass(frozen=True)
class EncodedRound:
    """A `RoundRecord` with its JSON bodies already encoded (`Journal.encode_round`)."""

    round: RoundRecord
    observation_body: str | None  # None (both bodies): a repeat of its run, prepared without them
    decision_body: str | None
    state_before_body: str | None
    run_key: RunKey | None  # `runs.run_key`: what a repeat of this round must equal (None: never one)


class RecordedDecision:
    """One audit-trail row: the decision, the observation it was made from, the state it started from,
    and the run it heads: `repeats` more identical rounds after it, the last at `last_at`."""

    def __init__(
        self,
        id: int,
        decision: Decision,
        observation: Observation,
        before: PairState | None,
        repeats: int = 0,
        last_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.decision = decision
        self.observation = observation
        self.state_before = before
        self.repeats = repeats
        self.last_at = last_at or decision.at

    @property
    def rounds(self) -> int:
        """How many rounds this row stands for."""
        return 1 + self.repeats

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RecordedDecision:
        before = row["state_before"]
        return cls(
            int(row["id"]),
            codec.decision_from_dict(codec.loads(row["body"])),
            codec.observation_from_dict(codec.loads(row["observation"])),
            codec.pair_state_from_dict(codec.loads(before)) if before else None,
            int(row["repeats"]),
            _dt(row["last_at"]),
        )
