"""`watchdog.journal.brake.counted` (one intent in hand, used by the shared state) agrees with the
journal's own brake count (SQL) for every way an intent can end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchdog.journal import Journal
from watchdog.journal.brake import counted
from watchdog.journal.intents import THROTTLED
from watchdog.model import IntentStatus

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_counted_agrees_with_the_journals_brake(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:

        def make(pair: str, manual: bool = False) -> int:
            return j.create_intent(pair, "dr", T0, old_primary_id="a", old_standby_id="b", manual=manual).id

        j.close_unsent(make("unsent"), T0, "vetoed")
        i = make("throttled")
        j.mark_sent(i, T0)
        j.finish_intent(i, IntentStatus.FAILED, T0, f"{THROTTLED}, not accepted", release_latch=True)
        i = make("unreachable")
        j.mark_sent(i, T0)
        j.finish_intent(i, IntentStatus.FAILED, T0, "not sent: connection refused", release_latch=True)
        i = make("rejected")
        j.mark_sent(i, T0)
        j.finish_intent(i, IntentStatus.FAILED, T0, "rejected by the API: state")
        i = make("completed")
        j.mark_sent(i, T0)
        j.finish_intent(i, IntentStatus.COMPLETED, T0, "done")
        i = make("unknown")
        j.mark_sent(i, T0)
        j.mark_unknown(i, T0, "no answer")
        make("open")
        i = make("manual", manual=True)
        j.mark_sent(i, T0)
        j.finish_intent(i, IntentStatus.COMPLETED, T0, "done")
        intents = j.intents()
        brake = j.brake(100, 3600, T0 + timedelta(seconds=1))
    mine = sorted(i.pair for i in intents if counted(i))
    assert mine == ["completed", "open", "rejected", "unknown"]
    assert len(brake.failovers) == len(mine)
