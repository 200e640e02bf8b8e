"""The journal on real SQLite files: round trips, concurrent writers, intents, pauses, acks, errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest

from tests.unit.policy.builders import FAST, PAIR, at, confirmed, observation, run
from watchdog import codec
from watchdog.journal import AckRefused, IntentConflict, Journal, JournalError, RoundRecord
from watchdog.journal.schema import SCHEMA_VERSION
from watchdog.model import Action, IntentStatus, PairState, State, Verdict
from watchdog.policy import evaluate

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "state" / "watchdog.db") as j:
        yield j


def record_rounds(journal: Journal, verdicts: list[Verdict]) -> list[int]:
    ids = []
    for i, verdict in enumerate(verdicts):
        state = journal.load_state(PAIR, at(10 * i))
        obs = observation(at(10 * i), verdict)
        ev = evaluate(obs, state, FAST, at(10 * i))
        ids.append(journal.record(obs, ev.decision, ev.next_state, state_before=state))
    return ids


def test_wal_and_schema_version(journal: Journal) -> None:
    """The file is in WAL mode at the newest schema version, and reopening keeps it."""
    assert journal.schema_version == SCHEMA_VERSION == 8
    with sqlite3.connect(journal.path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    with Journal(journal.path) as again:
        assert again.schema_version == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A journal written by a newer program is refused with a clear error, not misread."""
    path = tmp_path / "j.db"
    Journal(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE schema_version SET version = 99")
    raw.commit()
    raw.close()
    with pytest.raises(JournalError, match="schema version 99 is newer"):
        Journal(path)


def test_record_round_trips_decision_observation_and_state(journal: Journal) -> None:
    """What is recorded comes back identical: the decision, its observation, its input state, the counters."""
    record_rounds(journal, [Verdict.DOWN, Verdict.DOWN])
    recorded = journal.decisions(PAIR)
    assert [r.decision.state for r in recorded] == [State.SUSPECT, State.SUSPECT]
    again = run([(0, Verdict.DOWN), (10, Verdict.DOWN)])
    assert codec.decision_to_dict(recorded[1].decision) == codec.decision_to_dict(again[1].decision)
    assert codec.observation_to_dict(recorded[1].observation) == codec.observation_to_dict(
        observation(at(10), Verdict.DOWN)
    )
    assert recorded[1].state_before == again[0].next_state
    state = journal.load_state(PAIR)
    assert (state.consecutive_down, state.first_down_at, state.last_down_at) == (2, at(0), at(10))


def test_failover_decision_latches_in_the_journal(journal: Journal) -> None:
    """Recording a FAILOVER decision stores the latch and cooldown with it."""
    record_rounds(journal, [Verdict.DOWN] * 3)
    state = journal.load_state(PAIR)
    assert state.latched and state.latched_at == at(20)
    assert state.cooldown_until == at(20 + FAST.cooldown_seconds)
    assert journal.latest_decision(PAIR).action is Action.FAILOVER  # type: ignore[union-attr]


def test_pause_from_another_connection_survives_the_daemons_record(journal: Journal) -> None:
    """A CLI pause on a second connection is seen by the daemon's next load and not erased by its record."""
    with Journal(journal.path) as cli:
        cli.pause(PAIR, "maintenance", "alice", at(0), until=at(100))
    record_rounds(journal, [Verdict.DOWN])
    state = journal.load_state(PAIR, at(10))
    assert state.pause is not None and state.pause.owner == "alice" and state.pause.until == at(100)
    assert journal.load_state(PAIR, at(100)).pause is None  # expired
    assert evaluate(observation(at(10)), state, FAST, at(10)).decision.state is State.PAUSED


def test_global_pause_and_resume(journal: Journal) -> None:
    """A pause without a pair holds every pair until resumed; resume records who."""
    journal.pause(None, "freeze", "bob", at(0))
    assert journal.load_state("any-pair", at(5)).pause is not None
    assert journal.resume(None, "bob", at(6)) == 1
    assert journal.load_state("any-pair", at(7)).pause is None


@pytest.mark.parametrize(("reason", "until", "field"), [("  ", None, "reason"), ("x", -1, "until")])
def test_pause_validation(journal: Journal, reason: str, until: int | None, field: str) -> None:
    """A pause needs a reason and a future end."""
    with pytest.raises(ValueError, match=field):
        journal.pause(PAIR, reason, "ops", at(0), at(until) if until is not None else None)


def test_ack_is_not_overwritten_by_a_stale_daemon_round(journal: Journal) -> None:
    """The daemon loads a latched state, the operator acks, the daemon records: the ack stands."""
    record_rounds(journal, [Verdict.DOWN] * 3)
    stale = journal.load_state(PAIR)
    with Journal(journal.path) as cli:
        assert cli.ack(PAIR, "alice", at(30)) is True
    ev = evaluate(observation(at(30)), stale, FAST, at(30))
    journal.record(observation(at(30)), ev.decision, ev.next_state)
    assert journal.load_state(PAIR).latched is False


def test_intent_lifecycle_and_single_open_intent(journal: Journal) -> None:
    """intended -> sent -> submitted -> completed; a second intent while one is open is refused."""
    intent = journal.create_intent(PAIR, "dr", at(0), old_primary_id="a", old_standby_id="b")
    assert intent.status is IntentStatus.INTENDED and intent.sent_at is None
    with pytest.raises(IntentConflict):
        journal.create_intent(PAIR, "dr", at(1), old_primary_id="a", old_standby_id="b")
    journal.mark_sent(intent.id, at(1))
    with pytest.raises(JournalError):
        journal.mark_sent(intent.id, at(1))  # never "sent" twice
    journal.mark_submitted(intent.id, at(2), request_id="req-1")
    assert journal.load_state(PAIR).open_intent_status is IntentStatus.SUBMITTED
    with pytest.raises(AckRefused):
        journal.ack(PAIR, "alice", at(3))
    done = journal.finish_intent(
        intent.id, IntentStatus.COMPLETED, at(5), "roles swapped", cooldown_seconds=60
    )
    assert (done.status, done.request_id, done.finished_at) == (IntentStatus.COMPLETED, "req-1", at(5))
    state = journal.load_state(PAIR)
    assert state.latched and state.cooldown_until == at(65) and state.open_intent_id is None


def test_unsent_intent_releases_the_latch(journal: Journal) -> None:
    """An intent that never reached the API lifts the latch its decision set, so rounds decide again."""
    record_rounds(journal, [Verdict.DOWN] * 3)
    intent = journal.create_intent(PAIR, "dr", at(21), old_primary_id="a", old_standby_id="b")
    assert intent.decision_id == journal.decisions(PAIR)[-1].id
    journal.finish_intent(intent.id, IntentStatus.FAILED, at(22), "vetoed", release_latch=True)
    state = journal.load_state(PAIR)
    assert not state.latched and state.cooldown_until is None


def test_unknown_intent_stays_open_until_ack(journal: Journal) -> None:
    """An unknown intent blocks new intents until an operator acks it."""
    intent = journal.create_intent(PAIR, "dr", at(0), old_primary_id="a", old_standby_id="b")
    journal.mark_sent(intent.id, at(1))
    journal.mark_unknown(intent.id, at(2), "no answer")
    assert [i.id for i in journal.open_intents()] == [intent.id]
    journal.ack(PAIR, "alice", at(3), note="checked the console")
    assert journal.open_intents() == []
    assert journal.intent(intent.id).acked_at == at(3)


def test_orphan_latch_is_released(journal: Journal) -> None:
    """A FAILOVER decision journaled without an intent (a crash between) is un-latched by reconcile."""
    record_rounds(journal, [Verdict.DOWN] * 3)
    assert journal.latched_pairs() == [PAIR]
    assert journal.release_orphan_latch(PAIR, at(30)) is True
    assert journal.load_state(PAIR).latched is False


def test_latch_with_an_intent_made_under_a_stepped_back_clock_is_kept(journal: Journal) -> None:
    """An intent for the newest FAILOVER decision keeps its latch even if the clock stepped back before it."""
    record_rounds(journal, [Verdict.DOWN] * 3)  # FAILOVER at at(20) latches at at(20)
    intent = journal.create_intent(PAIR, "dr", at(15), old_primary_id="a", old_standby_id="b")
    journal.mark_sent(intent.id, at(15))
    journal.finish_intent(intent.id, IntentStatus.COMPLETED, at(16), "roles swapped")
    assert journal.release_orphan_latch(PAIR, at(30)) is False
    state = journal.load_state(PAIR)
    assert state.latched and state.cooldown_until == at(20 + FAST.cooldown_seconds)


def test_an_earlier_failovers_intent_does_not_hide_a_new_orphan_latch(journal: Journal) -> None:
    """After an acked failover, a new FAILOVER decision without its own intent is still an orphan latch."""
    record_rounds(journal, [Verdict.DOWN] * 3)
    old = journal.create_intent(PAIR, "dr", at(21), old_primary_id="a", old_standby_id="b")
    journal.mark_sent(old.id, at(21))
    journal.finish_intent(old.id, IntentStatus.COMPLETED, at(22), "roles swapped")
    journal.ack(PAIR, "alice", at(23))
    after_cooldown = 20 + FAST.cooldown_seconds
    for offset in (after_cooldown, after_cooldown + 10, after_cooldown + 20):
        state = journal.load_state(PAIR, at(offset))
        ev = evaluate(observation(at(offset)), state, FAST, at(offset))
        journal.record(observation(at(offset)), ev.decision, ev.next_state, state_before=state)
    assert ev.decision.action is Action.FAILOVER
    assert journal.release_orphan_latch(PAIR, at(after_cooldown + 30)) is True
    assert journal.load_state(PAIR).latched is False


def test_prune_keeps_recent_rows(journal: Journal) -> None:
    """Retention deletes old decisions and their observations, and nothing newer."""
    record_rounds(journal, [Verdict.UP] * 5)
    assert journal.prune(at(25)) == 6
    assert [r.decision.at for r in journal.decisions(PAIR)] == [at(30), at(40)]
    assert [o.observed_at for o in journal.observations()] == [at(30), at(40)]


def test_full_disk_surfaces_as_journal_error(journal: Journal) -> None:
    """When SQLite cannot grow the file (disk full), record raises JournalError and writes nothing."""
    record_rounds(journal, [Verdict.UP])
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]  # the journal's own connection
    journal._db.execute(f"PRAGMA max_page_count = {pages}")
    big = replace(observation(at(10), Verdict.UP), pair=PAIR * 20000)
    ev = evaluate(big, PairState(), FAST, at(10))
    with pytest.raises(JournalError, match="full"):
        journal.record(big, ev.decision, ev.next_state)
    assert len(journal.decisions()) == 1


def test_unwritable_file_is_a_clear_error(tmp_path: Path) -> None:
    """A journal on a device that refuses writes fails to open with the file named."""
    link = tmp_path / "full.db"
    link.symlink_to("/dev/full")
    with pytest.raises(JournalError, match=r"full\.db"):
        Journal(link)


WRITER = """
import sys
from tests.unit.journal.test_journal import record_many
record_many(sys.argv[1], sys.argv[2], int(sys.argv[3]))
"""


def record_many(path: str, pair: str, count: int) -> None:
    """Subprocess body: `count` rounds for `pair`, each its own read-modify-write."""
    with Journal(path) as journal:
        for i in range(count):
            state = journal.load_state(pair)
            obs = replace(observation(at(i), Verdict.DOWN), pair=pair)
            ev = evaluate(obs, state, replace(FAST, failure_threshold=10**6), at(i))
            journal.record(obs, ev.decision, ev.next_state)
            journal.pause(pair, f"round {i}", "proc", at(i), at(i + 1))


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    """Four processes writing the same file at once lose nothing and never see 'database is locked'."""
    path = tmp_path / "shared.db"
    Journal(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"pair-{n}", "60"], cwd=ROOT, stderr=subprocess.PIPE
        )
        for n in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with Journal(path) as journal:
        assert len(journal.decisions()) == 240
        assert all(journal.load_state(f"pair-{n}").consecutive_down == 60 for n in range(4))


def test_confirmed_builder_is_a_failover() -> None:
    """Sanity of the shared builder the journal tests rely on."""
    assert confirmed().decision.action is Action.FAILOVER
    assert confirmed().next_state.cooldown_until == at(20) + timedelta(seconds=FAST.cooldown_seconds)


def test_pauses_and_acks_keep_who_why_and_when(journal: Journal) -> None:
    """Operator actions are audited: each pause with owner, reason, end and resumer; each ack, its note."""
    journal.pause(PAIR, "upgrade", "alice", at(0), until=at(600))
    journal.pause(None, "freeze", "bob", at(5))
    journal.resume(None, "carol", at(10))
    journal.ack(PAIR, "dave", at(20), note="checked")
    [own, everyone] = journal.pauses(PAIR)
    assert (own.pause.owner, own.pause.reason, own.pause.until, own.resumed_by) == (
        "alice",
        "upgrade",
        at(600),
        "carol",
    )
    assert (everyone.pause.pair, everyone.resumed_at) == (None, at(10))
    [ack] = journal.acks(PAIR)
    assert (ack.owner, ack.at, ack.note, ack.was_latched) == ("dave", at(20), "checked", False)


def test_record_many_is_one_atomic_round(journal: Journal) -> None:
    """A whole round for many pairs is written in one transaction: all of it, or (on error) none of it."""

    def round_for(pair: str) -> RoundRecord:
        obs = replace(observation(at(0), Verdict.DOWN), pair=pair)
        ev = evaluate(obs, PairState(), FAST, at(0))
        return RoundRecord(obs, ev.decision, ev.next_state, PairState())

    ids = journal.record_many([round_for(f"p{i}") for i in range(50)])
    assert len(ids) == 50 and len(journal.decisions()) == 50
    assert journal.load_state("p49").consecutive_down == 1
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(JournalError):
        journal.record_many([round_for(f"q{i}" * 500) for i in range(50)])
    assert len(journal.decisions()) == 50


RACER = """
import sys, time
from tests.unit.journal.test_journal import race_for_intent
race_for_intent(sys.argv[1], float(sys.argv[2]))
"""


def race_for_intent(path: str, start: float) -> None:
    """Subprocess body: wait for the common start instant, then try to open an intent for PAIR."""
    with Journal(path) as journal:
        while time.time() < start:
            time.sleep(0.001)
        try:
            journal.create_intent(PAIR, "dr", at(0), old_primary_id="a", old_standby_id="b")
            print("won")
        except IntentConflict:
            print("refused")


def test_processes_racing_for_an_intent_open_exactly_one(tmp_path: Path) -> None:
    """Six processes (daemon and CLIs) create an intent for one pair at one instant: exactly one wins."""
    path = tmp_path / "race.db"
    Journal(path).close()
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), str(start)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    results = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert results == ["refused"] * 5 + ["won"]
    with Journal(path) as journal:
        assert len(journal.intents(PAIR)) == 1


def test_observations_are_read_in_pages_in_time_order(journal: Journal) -> None:
    """Export reads page by page: every observation once, in time order, whatever the page size."""
    record_rounds(journal, [Verdict.UP] * 7)
    times = [o.observed_at for o in journal.observations(page=3)]
    assert times == [at(10 * i) for i in range(7)]
    assert [o.observed_at for o in journal.observations(since=at(40), page=2)] == [at(40), at(50), at(60)]


def test_record_many_is_all_or_nothing(journal: Journal) -> None:
    """A batch with one round that cannot be encoded is refused before any row of the batch is written."""
    good = observation(at(0), Verdict.UP)
    bad = replace(
        observation(at(0), Verdict.UP), pair="other-dw", rpo_seconds=cast(float, object())
    )  # not JSON
    rounds = [
        RoundRecord(o, ev.decision, ev.next_state, PairState())
        for o in (good, bad)
        for ev in [evaluate(o, PairState(), FAST, at(0))]
    ]
    with pytest.raises(TypeError):
        journal.record_many(rounds)
    assert journal.decisions() == [] and list(journal.observations()) == []
    with pytest.raises(TypeError):
        Journal.encode_round(rounds[1])  # the round loop encodes per pair, so only this pair is left out
    ids = journal.record_many([Journal.encode_round(rounds[0])])
    assert [r.id for r in journal.decisions()] == ids


def test_the_outage_duration_survives_the_journal_and_old_rows_derive_it(journal: Journal) -> None:
    """outage_seconds is stored with the counters; a row from before the column (NULL) loads with the
    duration from its first to its last DOWN round, so an open outage goes on counting after upgrade."""
    record_rounds(journal, [Verdict.DOWN, Verdict.DOWN])
    assert journal.load_state(PAIR).outage_seconds == 10.0
    with sqlite3.connect(journal.path) as raw:
        raw.execute(
            "UPDATE pair_state SET outage_seconds = NULL, last_down_at = ? WHERE pair = ?",
            (15_000_000 + int(at(0).timestamp() * 1e6), PAIR),
        )
    raw.close()
    state = journal.load_state(PAIR)
    assert (state.consecutive_down, state.outage_seconds) == (2, 15.0)


def test_load_states_reads_every_pair_as_load_state_does(journal: Journal) -> None:
    """The round's batch read (four queries for every pair) gives each pair exactly what load_state
    gives it: counters, its own pause before a global one, expired pauses ignored, the open and the
    newest intent, and the empty state of a pair never recorded."""
    record_rounds(journal, [Verdict.DOWN] * 2)  # PAIR: counters
    for name in ("b-own-pause", "b-expired-pause", "b-intents", "b-open"):
        obs = replace(observation(at(0), Verdict.UP), pair=name)
        ev = evaluate(obs, PairState(), FAST, at(0))
        journal.record(obs, ev.decision, ev.next_state)
    journal.pause("b-own-pause", "maintenance", "alice", at(1))
    journal.pause("b-expired-pause", "short", "bob", at(1), until=at(5))
    first = journal.create_intent("b-intents", "dr", at(2), old_primary_id="a", old_standby_id="b")
    journal.finish_intent(first.id, IntentStatus.FAILED, at(3), "refused", release_latch=True)
    journal.create_intent("b-intents", "dr", at(4), old_primary_id="a", old_standby_id="b")
    done = journal.create_intent("b-open", "dr", at(2), old_primary_id="a", old_standby_id="b")
    journal.finish_intent(done.id, IntentStatus.COMPLETED, at(3), "roles swapped", cooldown_seconds=60)
    journal.create_intent("b-open", "dr", at(6), old_primary_id="a", old_standby_id="b")
    pairs = [PAIR, "b-own-pause", "b-expired-pause", "b-intents", "b-open", "b-never-recorded"]
    for now in (at(2), at(10), None):
        assert journal.load_states(pairs, now) == {p: journal.load_state(p, now) for p in pairs}
        journal.pause(None, "fleet freeze", "carol", at(7))  # then a global pause holds them all
    paused = journal.load_states(pairs, at(10))
    assert paused["b-own-pause"].pause is not None and paused["b-own-pause"].pause.owner == "alice"
    assert paused["b-never-recorded"].pause is not None and paused["b-never-recorded"].pause.owner == "carol"
