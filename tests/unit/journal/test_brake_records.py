"""The global brake in the journal: what counts, the trip (once per reset) and the operator's reset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.policy.builders import at
from watchdog.journal import Journal
from watchdog.journal.intents import THROTTLED
from watchdog.model import IntentStatus


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def intent(journal: Journal, pair: str, offset: float, *, manual: bool = False) -> int:
    made = journal.create_intent(
        pair, f"dr-{pair}", at(offset), old_primary_id="a", old_standby_id="b", manual=manual
    )
    return made.id


def test_counted_are_automatic_intents_in_the_window_that_were_or_may_be_sent(journal: Journal) -> None:
    """Open, sent and completed intents count; manual ones, those closed unsent, throttled (429) or
    unreachable do not; nor those older than the window."""
    intent(journal, "old", -4000)
    open_one = intent(journal, "open", 0)
    done = intent(journal, "done", 1)
    journal.mark_sent(done, at(1))
    journal.finish_intent(done, IntentStatus.COMPLETED, at(2), "swapped")
    intent(journal, "manual", 3, manual=True)
    journal.close_unsent(intent(journal, "vetoed", 4), at(4), "vetoed: no")
    for pair, detail in (("throttled", f"{THROTTLED}, not accepted"), ("unreachable", "not sent: reset")):
        sent = journal.mark_sent(intent(journal, pair, 5), at(5)).id
        journal.finish_intent(sent, IntentStatus.FAILED, at(5), detail, release_latch=True)
    brake = journal.brake(3, 3600, at(10))
    assert brake.failovers == (at(0), at(1)) and brake.tripped_at is None
    assert journal.intent(open_one).status is IntentStatus.INTENDED


def test_the_trip_is_written_once_and_the_reset_releases_it_and_the_count(journal: Journal) -> None:
    intent(journal, "a", 0)
    assert journal.trip_brake(at(5), "3 in 3600 s") is True
    assert journal.trip_brake(at(6), "again") is False  # engaged already: the first trip stands
    assert journal.brake(3, 3600, at(10)).tripped_at == at(5)
    assert journal.reset_brake("alice", at(20), "checked the region") is True
    after = journal.brake(3, 3600, at(30))
    assert after.tripped_at is None and after.failovers == ()  # what came before the reset no longer counts
    intent(journal, "b", 40)
    assert journal.brake(3, 3600, at(50)).failovers == (at(40),)
    assert journal.reset_brake("bob", at(60)) is False  # not engaged: recorded all the same
    assert [(e.kind, e.owner) for e in journal.brake_events()] == [
        ("tripped", "watchdog"),
        ("reset", "alice"),
        ("reset", "bob"),
    ]
    assert journal.brake(3, 3600, at(60) + timedelta(seconds=1)).failovers == ()
