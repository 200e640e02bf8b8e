"""The shared state's writes (`Coordination`) on the in-process store: what each one changes in the
document, and what it refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from watchdog.clock import FakeClock
from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import MemoryStore, Shared
from watchdog.model import FailoverIntent, IntentStatus, PairState, Pause

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
T = TypeVar("T")


def run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(work)


def intent(n: int = 1, status: IntentStatus = IntentStatus.INTENDED, manual: bool = False) -> FailoverIntent:
    return FailoverIntent(n, "p", "dr-1", status, T0, "prod-1", "dr-c", manual=manual)


LATCHED = PairState(latched=True, latched_at=T0, cooldown_until=T0 + timedelta(hours=1))


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.term = 5
    return s


def coord(store: MemoryStore, me: str = "a", term: int | None = 5) -> Coordination:
    return Coordination(store, me, FakeClock(T0), term=lambda: term)


def doc(store: MemoryStore) -> Shared:
    return run(store.load())


def test_a_claim_puts_the_intent_latch_cooldown_and_brake_count_in_the_document(store: MemoryStore) -> None:
    assert run(coord(store).claim(intent(), LATCHED)) is None
    sp = doc(store).pair("p")
    assert sp.intent is not None and (sp.intent.holder, sp.intent.term, sp.intent.sent) == ("a", 5, False)
    assert (sp.intent.old_primary_id, sp.intent.old_standby_id) == ("prod-1", "dr-c")
    assert sp.latched_at == T0 and sp.cooldown_until == LATCHED.cooldown_until
    assert doc(store).brake_failovers == (T0,)


def test_a_manual_claim_is_unfenced_and_not_counted_by_the_brake(store: MemoryStore) -> None:
    assert run(coord(store, "cli:ops", term=None).claim(intent(manual=True), LATCHED)) is None
    assert doc(store).brake_failovers == ()
    si = doc(store).pair("p").intent
    assert si is not None and si.manual and si.term is None


def test_a_claim_beside_another_instances_open_intent_is_refused(store: MemoryStore) -> None:
    assert run(coord(store, "b").claim(intent(7), LATCHED)) is None
    why = run(coord(store, "a").claim(intent(1), LATCHED))
    assert why is not None and "b's failover intent 7 is open" in why


def test_a_write_under_an_old_term_is_refused_as_not_allowed_to_act(store: MemoryStore) -> None:
    why = run(coord(store, term=4).claim(intent(), LATCHED))
    assert why is not None and why.startswith("not the instance allowed to act")
    assert doc(store).pair("p").intent is None


def test_the_sent_mark_checks_the_shared_pause_for_automatic_intents_only(store: MemoryStore) -> None:
    a = coord(store)
    run(a.claim(intent(), LATCHED))
    run(coord(store, "cli:ops", term=None).pause(Pause("game day", "ops", T0, None, None)))
    why = run(a.mark_sent(intent()))
    assert why is not None and "paused by ops" in why
    assert run(a.mark_sent(intent(manual=True))) is None  # a manual failover skips the pause


def test_the_sent_mark_needs_the_intent_still_ours(store: MemoryStore) -> None:
    why = run(coord(store).mark_sent(intent()))
    assert why is not None and "closed meanwhile" in why


@pytest.mark.parametrize(
    ("status", "journal", "latched"),
    [
        (IntentStatus.COMPLETED, LATCHED, True),  # completed: the journal's latch
        (IntentStatus.FAILED, PairState(), False),  # closed unsent: latch and cooldown lifted
        (IntentStatus.UNKNOWN, PairState(), True),  # unknown: its POST may have been taken
    ],
)
def test_the_end_of_an_intent_is_mirrored_from_the_journal(
    store: MemoryStore, status: IntentStatus, journal: PairState, latched: bool
) -> None:
    a = coord(store)
    run(a.claim(intent(), LATCHED))
    ended = replace(intent(), status=status)
    assert run(a.mirror("p", journal, ended if status is IntentStatus.UNKNOWN else None)) is None
    sp = doc(store).pair("p")
    assert sp.intent is None
    assert (sp.latched_at is not None) is latched
    assert sp.cooldown_until == journal.cooldown_until


def test_an_open_intent_is_not_mirrored_and_nobody_elses_is_touched(store: MemoryStore) -> None:
    run(coord(store, "b").claim(intent(7), LATCHED))
    a = coord(store)
    run(a.load())
    before = doc(store).revision
    assert run(a.mirror("p", PairState(), None)) is None
    assert doc(store).revision == before  # another instance's intent: nothing written


def test_ack_is_refused_while_an_intent_is_open_then_clears_the_latch_for_everyone(
    store: MemoryStore,
) -> None:
    a, cli = coord(store), coord(store, "cli:ops", term=None)
    run(a.claim(intent(), LATCHED))
    was, why = run(cli.ack("p"))
    assert why is not None and "still in flight" in why
    run(a.mirror("p", LATCHED, None))
    was, why = run(cli.ack("p"))
    assert why is None and was
    sp = doc(store).pair("p")
    assert sp.latched_at is None and sp.acked_at == T0 and sp.cooldown_until == LATCHED.cooldown_until


def test_resume_ends_a_pairs_pauses_or_all(store: MemoryStore) -> None:
    cli = coord(store, "cli:ops", term=None)
    run(cli.pause(Pause("one", "ops", T0, None, "p")))
    run(cli.pause(Pause("all", "ops", T0, None, None)))
    assert run(cli.resume("p")) == (1, None)
    assert [p.reason for p in doc(store).pauses] == ["all"]
    assert run(cli.resume(None)) == (1, None)
    assert doc(store).pauses == ()


def test_the_brake_trips_once_and_a_reset_releases_it(store: MemoryStore) -> None:
    a, cli = coord(store), Coordination(store, "cli:ops", FakeClock(T0 + timedelta(seconds=60)))
    assert run(a.trip_brake(T0)) is None
    assert run(a.trip_brake(T0 + timedelta(seconds=5))) is None
    assert doc(store).brake_tripped_at == T0  # the first trip stands
    run(a.claim(intent(), LATCHED))
    assert doc(store).brake(3, 3600).failovers == (T0,)
    assert run(cli.reset_brake()) == (True, None)
    brake = doc(store).brake(3, 3600)
    assert brake.tripped_at is None and brake.failovers == ()  # the failovers so far stop counting
