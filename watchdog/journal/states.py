"""The pair state as the policy reads it: the counters and the latch (pair_state), the pause holding
the pair, its open and its newest intent, joined into one `PairState` (a mixin of `Journal`).

`load_state` reads one pair (four queries); `load_states` reads every pair of a round in four
queries in all (a 5,000-pair round made 20,000), from one consistent snapshot, with the same rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from watchdog import codec
from watchdog.journal.base import dt as _dt
from watchdog.journal.intents import _OPEN, Intents, _intent
from watchdog.journal.operators import _PAUSES, Operators, holding
from watchdog.model import FailoverIntent, PairState, Pause


def joined(
    row: sqlite3.Row | None, pause: Pause | None, open_: FailoverIntent | None, last: FailoverIntent | None
) -> PairState:
    """One pair's PairState from its pair_state row (None: never recorded) and what holds it."""
    base = PairState(
        pause=pause,
        open_intent_id=open_.id if open_ else None,
        open_intent_status=open_.status if open_ else None,
        last_intent_status=last.status if last else None,
        last_intent_detail=last.detail if last else None,
    )
    if row is None:
        return base
    first_down, last_down = _dt(row["first_down_at"]), _dt(row["last_down_at"])
    return PairState(
        consecutive_down=int(row["consecutive_down"]),
        first_down_at=first_down,
        last_down_at=last_down,
        last_up_at=_dt(row["last_up_at"]),
        baseline_primary_id=row["baseline_primary_id"],
        latched=bool(row["latched"]),
        latched_at=_dt(row["latched_at"]),
        cooldown_until=_dt(row["cooldown_until"]),
        pause=pause,
        open_intent_id=base.open_intent_id,
        open_intent_status=base.open_intent_status,
        last_intent_status=base.last_intent_status,
        last_intent_detail=base.last_intent_detail,
        outage_seconds=codec.outage_seconds(row["outage_seconds"], first_down, last_down),
        rearm=bool(row["rearm"]),
    )


class States(Intents, Operators):
    """Reading pair states (a mixin of `Journal`)."""

    def load_state(self, pair: str, now: datetime | None = None) -> PairState:
        """The pair's state as the policy reads it: counters, latch, cooldown, the pause, the open and
        the newest intent.

        With `now`, only a pause still active at `now` is returned; without, the newest unresumed one.
        """
        with self._snapshot("load state"):
            rows = self._read("load state", "SELECT * FROM pair_state WHERE pair = ?", (pair,))
            open_, last = self.open_intent(pair), self.latest_intent(pair)
            pause = self.active_pause(pair, now)
        return joined(rows[0] if rows else None, pause, open_, last)

    def load_states(self, pairs: Iterable[str], now: datetime | None = None) -> dict[str, PairState]:
        """`load_state` of every pair in `pairs`, from one snapshot, in four queries."""
        with self._snapshot("load states"):
            rows = {r["pair"]: r for r in self._read("load states", "SELECT * FROM pair_state")}
            opened: dict[str, FailoverIntent] = {}
            for r in self._read("read open intents", f"SELECT * FROM intents WHERE {_OPEN} ORDER BY id"):
                opened.setdefault(r["pair"], _intent(r))
            newest = self._read(
                "read latest intents",
                "SELECT * FROM intents WHERE id IN (SELECT MAX(id) FROM intents GROUP BY pair)",
            )
            pauses = self._read("read pauses", _PAUSES.format(where=""))
        latest = {r["pair"]: _intent(r) for r in newest}
        by_pair: dict[str | None, list[sqlite3.Row]] = {}
        for r in pauses:
            by_pair.setdefault(r["pair"], []).append(r)
        everyone = by_pair.get(None, [])
        return {
            p: joined(
                rows.get(p), self._held(p, by_pair.get(p, []), everyone, now), opened.get(p), latest.get(p)
            )
            for p in pairs
        }

    @staticmethod
    def _held(
        pair: str, own: list[sqlite3.Row], everyone: list[sqlite3.Row], now: datetime | None
    ) -> Pause | None:
        return holding(pair, own, now) or holding(pair, everyone, now)
