"""Runs of identical rounds: a steady pair writes a journal row per change, not per round.

A round that started nothing and repeats the pair's previous round (the same decision from the same
observation and state, times aside) extends that row's run: `repeats` counts it, `last_at` is its
time. Every round is still accounted for; a DOWN round has a row of its own until the outage is
confirmed, and a run of DOWN rounds after that is exported round by round.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from tests.unit.policy.builders import FAST, PAIR, STANDBY_ID, at, observation
from watchdog.journal import EncodedRound, Journal, JournalError, RoundRecord
from watchdog.model import Observation, PairState, ReasonCode, State, Verdict
from watchdog.policy import evaluate
from watchdog.replay import export_observations, read_timeline, replay, verify_recorded
from watchdog.status import pair_status

SYNC = at(-120)  # one fixed last sync: the observations repeat while nothing changes


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "state" / "watchdog.db") as j:
        yield j


def rounds(journal: Journal, verdicts: list[Verdict], start: int = 0, sync: datetime = SYNC) -> list[int]:
    """The daemon's loop, one round every 10 s from `start`: load state, decide, record."""
    ids = []
    for i, verdict in enumerate(verdicts, start):
        now = at(10 * i)
        state = journal.load_state(PAIR, now)
        o = observation(now, verdict, last_sync=sync, task_status="running")
        ev = evaluate(o, state, FAST, now)
        ids.append(journal.record(o, ev.decision, ev.next_state, state_before=state))
    return ids


def runs(journal: Journal) -> list[tuple[str, int]]:
    return [(r.decision.verdict.value, r.rounds) for r in journal.decisions(PAIR)]


def test_steady_rounds_extend_one_row(journal: Journal) -> None:
    """Ten identical healthy rounds: two rows (the first sets the baseline), 1 + 9 rounds, to the last."""
    ids = rounds(journal, [Verdict.UP] * 10)
    rows = journal.decisions(PAIR)
    assert [r.rounds for r in rows] == [1, 9]
    assert ids[2:] == [rows[1].id] * 8
    assert rows[1].decision.at == at(10) and rows[1].last_at == at(90)


def test_down_rounds_never_extend_a_run(journal: Journal) -> None:
    """Every DOWN round of an unconfirmed outage keeps its own row (it counts towards a failover); UP
    after DOWN starts anew."""
    rounds(journal, [Verdict.UP] * 3 + [Verdict.DOWN] * 2 + [Verdict.UP] * 3)
    assert runs(journal) == [("up", 1), ("up", 2), ("down", 1), ("down", 1), ("up", 1), ("up", 2)]


def test_unknown_rounds_extend_a_run(journal: Journal) -> None:
    """Rounds the watchdog could not see, one like the other, are one run."""
    rounds(journal, [Verdict.UP] * 2 + [Verdict.UNKNOWN] * 4)
    assert runs(journal) == [("up", 1), ("up", 1), ("unknown", 4)]


def test_a_changed_observation_breaks_the_run(journal: Journal) -> None:
    """A new sync time (or any other change) is a new row."""
    rounds(journal, [Verdict.UP] * 3)
    rounds(journal, [Verdict.UP] * 2, start=3, sync=at(25))
    assert runs(journal) == [("up", 1), ("up", 2), ("up", 2)]


def test_another_writers_row_is_never_extended_over(journal: Journal) -> None:
    """A row written by another process (a manual failover, say) ends the run: the next round is a new row."""
    rounds(journal, [Verdict.UP] * 3)
    with Journal(journal.path) as other:
        rounds(other, [Verdict.UP], start=3)  # its own first round: a new row
    rounds(journal, [Verdict.UP], start=4)
    assert [r.rounds for r in journal.decisions(PAIR)] == [1, 2, 1, 1]


def test_a_repeat_is_prepared_without_bodies_and_encoded_if_its_run_cannot_go_on(journal: Journal) -> None:
    """The daemon prepares each round before the batch (`prepare_round`): a repeat of the run needs no
    JSON bodies; if another writer's row ends the run meanwhile, the round is a complete row anyway."""
    rounds(journal, [Verdict.UP] * 2)

    def prepared(now: datetime) -> tuple[Observation, list[EncodedRound]]:
        state = journal.load_state(PAIR, now)
        o = observation(now, Verdict.UP, last_sync=SYNC, task_status="running")
        ev = evaluate(o, state, FAST, now)
        return o, [journal.prepare_round(RoundRecord(o, ev.decision, ev.next_state, state))]

    _, repeat = prepared(at(20))
    assert repeat[0].observation_body is None and repeat[0].run_key is not None
    journal.record_many(repeat)
    assert runs(journal) == [("up", 1), ("up", 2)]
    o, repeat = prepared(at(30))
    assert repeat[0].observation_body is None
    with Journal(journal.path) as other:
        rounds(other, [Verdict.UP], start=3)  # another process's row: the run cannot go on
    journal.record_many(repeat)
    assert [r.rounds for r in journal.decisions(PAIR)] == [1, 2, 1, 1]
    newest = journal.decisions(PAIR)[-1]
    assert newest.decision.at == at(30) and newest.observation == o


def test_a_failed_write_counts_nothing(journal: Journal) -> None:
    """A batch that could not be written (SQLite full) counts none of its rounds, repeats included."""
    rounds(journal, [Verdict.UP] * 3)
    now = at(30)
    state = journal.load_state(PAIR, now)
    repeat = observation(now, Verdict.UP, last_sync=SYNC, task_status="running")
    ev = evaluate(repeat, state, FAST, now)
    big = replace(repeat, pair="other", disaster_recovery_id="x" * 200_000)
    big_ev = evaluate(big, PairState(), FAST, now)
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]  # the journal's own connection
    journal._db.execute(f"PRAGMA max_page_count = {pages}")
    batch = [
        RoundRecord(repeat, ev.decision, ev.next_state, state),
        RoundRecord(big, big_ev.decision, big_ev.next_state),
    ]
    with pytest.raises(JournalError, match="full"):
        journal.record_many(batch)
    assert runs(journal) == [("up", 1), ("up", 2)]
    journal._db.execute("PRAGMA max_page_count = 1073741823")
    rounds(journal, [Verdict.UP], start=4)
    assert runs(journal) == [("up", 1), ("up", 3)]


def test_retention_keeps_a_run_that_reaches_past_the_cut(journal: Journal) -> None:
    """A run that began before the cut but went on after it is kept whole; older rows go."""
    rounds(journal, [Verdict.UP] * 10)
    journal.prune(at(50))
    assert [(r.decision.at, r.last_at) for r in journal.decisions(PAIR)] == [(at(10), at(90))]


def test_status_shows_the_latest_round_of_a_run(journal: Journal) -> None:
    """`status` reads a run as its last round: decided_at and the sync lag as of then, and the count."""
    rounds(journal, [Verdict.UP] * 10)
    entry = pair_status(journal, PAIR, at(95))
    assert entry["decided_at"] == at(90).isoformat() and entry["same_since"] == at(10).isoformat()
    assert entry["rounds"] == 9 and entry["observed_at"] == at(90).isoformat()
    assert entry["sync_lag_seconds"] == (at(90) - SYNC).total_seconds()


def measure(journal: Journal) -> tuple[int, int]:
    """(rows, bytes) the audit trail holds: decisions plus observations, and their JSON bodies."""
    db = journal._db  # the journal's own connection: read-only queries
    rows = sum(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("decisions", "observations"))
    size = db.execute(
        "SELECT (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM decisions)"
        " + (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM observations)"
    ).fetchone()[0]
    return rows, size


def failed_over(when: datetime) -> Observation:
    """After a failover: roles swapped (the old DR cluster is production, up), the DR task no longer
    syncs, so its RPO is now minus the last sync and grows every round."""
    o = observation(when, Verdict.UP, last_sync=SYNC, task_status="abnormal", primary=STANDBY_ID)
    return replace(o, rpo_seconds=float(int((when - SYNC).total_seconds())))


def test_a_failed_over_pair_stops_growing_the_journal(journal: Journal) -> None:
    """1,000 rounds of a failed-over, latched pair at 15 s: after the failover's own rows, the journal
    holds the same rows and bytes at round 1,000 as at round 10 (the growing RPO only restates time)."""
    rounds(journal, [Verdict.DOWN] * 3)  # FAST confirms on the third DOWN round: FAILOVER, latched
    assert journal.load_state(PAIR).latched
    seen = {}
    for i in range(1, 1001):
        now = at(20 + 15 * i)
        state = journal.load_state(PAIR, now)
        o = failed_over(now)
        ev = evaluate(o, state, FAST, now)
        assert ev.decision.state is State.FAILED_OVER
        journal.record(o, ev.decision, ev.next_state, state_before=state)
        if i in (10, 1000):
            seen[i] = measure(journal)
    assert seen[1000] == seen[10]
    assert sum(r.rounds for r in journal.decisions(PAIR)) == 1003
    assert len(journal.decisions(PAIR)) <= 6


def test_an_rpo_that_moves_its_point_in_time_breaks_the_run(journal: Journal) -> None:
    """An RPO naming a new recovery point (not just restating time) is a change: a new row."""
    for i, rpo in enumerate([100.0, 110.0, 120.0, 30.0, 40.0]):  # a sync between the third and fourth
        now = at(10 * i)
        state = journal.load_state(PAIR, now)
        o = replace(observation(now, Verdict.UP, last_sync=SYNC, task_status="running"), rpo_seconds=rpo)
        ev = evaluate(o, state, FAST, now)
        journal.record(o, ev.decision, ev.next_state, state_before=state)
    assert [r.rounds for r in journal.decisions(PAIR)] == [1, 2, 2]


def test_a_blocked_outage_stops_growing_the_journal_and_still_replays(journal: Journal) -> None:
    """1,000 DOWN rounds blocked by the data-loss guard: each confirming round has its row, then one
    row counts the rest (rows and bytes equal at round 10 and 1,000); status counts every DOWN round;
    the export has all 1,000, and replaying it decides every recorded row as it was decided."""
    seen = {}
    for i in range(1000):
        rounds(journal, [Verdict.DOWN], start=i, sync=at(-5000))
        if i + 1 in (10, 1000):
            seen[i + 1] = measure(journal)
    assert seen[1000] == seen[10]
    rows = journal.decisions(PAIR)
    assert [(r.decision.state, r.rounds) for r in rows] == [
        (State.SUSPECT, 1),
        (State.SUSPECT, 1),
        (State.BLOCKED, 998),
    ]
    assert pair_status(journal, PAIR, at(10_000))["consecutive_down_rounds"] == 1000
    out = io.StringIO()
    assert export_observations(journal, out) == 1000
    replayed = replay(read_timeline(out.getvalue().splitlines()), FAST)
    assert [s.decision.state for s in replayed] == [State.SUSPECT] * 2 + [State.BLOCKED] * 998
    assert replayed[-1].decision.consecutive_down == 1000
    heads = {r.observation.observed_at: r.decision for r in rows}
    assert [s.decision for s in replayed if s.observation.observed_at in heads] == list(heads.values())
    assert verify_recorded(journal) == (3, [])


def test_a_changed_decision_in_a_confirmed_outage_is_a_new_row(journal: Journal) -> None:
    """Paused through a confirmed outage: one row counts the paused DOWN rounds; after the resume the
    window starts afresh (two confirming rounds, each a row), then a FAILOVER, a row of its own, and
    the latched rounds after it another run."""
    journal.pause(PAIR, "maintenance", "ops", at(-1))
    rounds(journal, [Verdict.DOWN] * 8)
    journal.resume(PAIR, "ops", at(75))
    rounds(journal, [Verdict.DOWN] * 6, start=8)
    assert [(r.decision.state, r.rounds) for r in journal.decisions(PAIR)] == [
        (State.PAUSED, 1),
        (State.PAUSED, 1),
        (State.PAUSED, 6),
        (State.SUSPECT, 1),
        (State.SUSPECT, 1),
        (State.FAILOVER_WARRANTED, 1),
        (State.FAILED_OVER, 1),  # its state before is the unheld FAILOVER round's (no re-arm pending)
        (State.FAILED_OVER, 2),
    ]


def test_a_healthy_pair_paused_without_an_end_extends_one_row(journal: Journal) -> None:
    """A pause until `resume` has no end (NaN in its reason): its rounds are still identical."""
    journal.pause(PAIR, "maintenance", "ops", at(-1))
    rounds(journal, [Verdict.UP] * 10)
    assert [r.rounds for r in journal.decisions(PAIR)] == [1, 9]


def test_an_rpo_read_late_within_the_observation_age_still_repeats(journal: Journal) -> None:
    """A slow API answers seconds after `observed_at`, so the RPO's point in time wobbles by up to an
    observation's age (here 8 s with a 10 s interval): still the same point, the same row."""
    for i, late in enumerate([0.0, 8.0, 1.0, 8.0]):
        now = at(10 * i)
        state = journal.load_state(PAIR, now)
        rpo = 100.0 + 10 * i + late  # the point stays at at(-100), read up to 8 s late
        o = replace(observation(now, Verdict.UP, last_sync=SYNC, task_status="running"), rpo_seconds=rpo)
        ev = evaluate(o, state, FAST, now)
        journal.record(o, ev.decision, ev.next_state, state_before=state)
    assert [r.rounds for r in journal.decisions(PAIR)] == [1, 3]


def test_status_restates_a_confirmed_outage_as_of_its_latest_round(journal: Journal) -> None:
    """A blocked outage of 100 DOWN rounds, kept as one row after the confirming ones: `status` says
    "outage confirmed: 100 DOWN rounds over 990 s", as the latest round decided (the replayed export
    decides it again), never the run's first round's "3 DOWN rounds over 20 s"."""
    for i in range(100):
        rounds(journal, [Verdict.DOWN], start=i, sync=at(-5000))
    out = io.StringIO()
    export_observations(journal, out)
    latest = replay(read_timeline(out.getvalue().splitlines()), FAST)[-1].decision
    want = latest.reason(ReasonCode.OUTAGE_CONFIRMED)
    assert want is not None and want.message == "outage confirmed: 100 DOWN rounds over 990 s"
    entry = pair_status(journal, PAIR, at(10_000))
    shown = [r for r in entry["reasons"] if r["code"] == "outage_confirmed"]
    assert shown == [{"code": "outage_confirmed", "message": want.message, "values": dict(want.values)}]


def test_status_restates_the_cooldown_left_as_of_the_latest_round(journal: Journal) -> None:
    """Failed over, acked, production still down: blocked by the cooldown, one row for the run;
    `status` gives the cooldown left at the latest round, as that round decided it."""
    rounds(journal, [Verdict.DOWN] * 4, sync=at(-5))
    assert journal.ack(PAIR, "ops", at(35))
    rounds(journal, [Verdict.DOWN] * 60, start=4, sync=at(-5))
    now = at(640)  # one round more, as `rounds` makes it: what it decides is what status must say
    state = journal.load_state(PAIR, now)
    o = observation(now, Verdict.DOWN, last_sync=at(-5), task_status="running")
    latest = evaluate(o, state, FAST, now).decision
    journal.record(o, latest, evaluate(o, state, FAST, now).next_state, state_before=state)
    want = latest.reason(ReasonCode.COOLDOWN)
    assert latest.state is State.BLOCKED and want is not None
    assert journal.decisions(PAIR)[-1].rounds > 50
    shown = [r for r in pair_status(journal, PAIR, at(10_000))["reasons"] if r["code"] == "cooldown"]
    assert shown == [{"code": "cooldown", "message": want.message, "values": dict(want.values)}]
