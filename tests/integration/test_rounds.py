"""The daemon's round (watchdog.rounds.Runtime) against the simulator over real HTTP, on a real journal file.

A round decides every pair, journals all of them in one transaction, and only then acts: a journal
that cannot be written stops every action of the round, and one pair that cannot be decided does not
stop the others.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from watchdog.clock import SystemClock
from watchdog.journal import Journal
from watchdog.metrics import Metrics
from watchdog.model import Action
from watchdog.rounds import Runtime
from watchdog.settings import Settings
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    FAST_TIMING,
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
)

OTHERS = ("finance-dw", "hr-dw")


def _settings(url: str, tmp: Path, pairs: dict[str, str], **policy: Any) -> Settings:
    data: dict[str, Any] = {
        "cloud": {
            "endpoint": url,
            "project_id": TEST_PROJECT_ID,
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "timeout_seconds": 2,
        },
        "pairs": [{"name": n, "disaster_recovery_id": d} for n, d in pairs.items()],
        "policy": {"mode": "auto", "probe_interval_seconds": 5, "min_outage_seconds": 0, **policy},
        "failover": {"poll_interval_seconds": 0.2, "settle_seconds": 5, "unknown_grace_seconds": 5},
        "state": {"path": str(tmp / "state" / "watchdog.db")},
    }
    return Settings(**data)


def _world(simulator: Simulator) -> dict[str, str]:
    """The fixture's pair plus two more in the same project: pair name -> DR id."""
    pairs = {TEST_PAIR_NAME: TEST_DR_ID}
    for name in OTHERS:
        pairs[name] = simulator.add_pair(TEST_PROJECT_ID, name, **FAST_TIMING).disaster_recovery_id
    return pairs


@contextmanager
def _runtime(settings: Settings, busy_timeout: float = 10.0) -> Iterator[tuple[Runtime, Metrics]]:
    """A Runtime wired as the daemon wires it (its own registry; a journal with the given busy timeout)."""
    metrics = Metrics(CollectorRegistry(), pairs=[p.name for p in settings.pairs])
    settings.state.path.parent.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(
        settings, SystemClock(), metrics, Journal(settings.state.path, busy_timeout_seconds=busy_timeout)
    )
    yield runtime, metrics


def _errors(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value("dr_watchdog_round_errors_total")
    assert value is not None
    return value


def _decisions(path: Path) -> dict[str, int]:
    with Journal(path) as journal:
        return {p: len(journal.decisions(p)) for p in (TEST_PAIR_NAME, *OTHERS)}


def test_round_records_every_pair_before_the_failover_acts(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """Each round journals a decision for every pair; the one FAILOVER then runs once, to completion."""
    settings = _settings(sim_server.url, tmp_path, _world(simulator), failure_threshold=2)
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)

    async def scenario() -> list[dict[str, Action]]:
        with _runtime(settings) as (runtime, _):
            runtime.start()
            try:
                actions = [
                    {p: d.action for p, d in (await runtime.round()).decisions.items()} for _ in range(2)
                ]
                await runtime.finish_actions(grace=30)
                return actions
            finally:
                await runtime.close()

    first, second = asyncio.run(scenario())
    assert set(first) == set(second) == {TEST_PAIR_NAME, *OTHERS}
    assert first[TEST_PAIR_NAME] is Action.NONE and second[TEST_PAIR_NAME] is Action.FAILOVER
    assert all(second[p] is Action.NONE for p in OTHERS)
    assert _decisions(settings.state.path) == {TEST_PAIR_NAME: 2, OTHERS[0]: 2, OTHERS[1]: 2}
    assert len(simulator.failover_calls()) == 1
    with Journal(settings.state.path) as journal:
        (intent,) = journal.intents(TEST_PAIR_NAME)
        assert intent.decision_id == journal.decisions(TEST_PAIR_NAME)[-1].id


def test_a_journal_that_cannot_be_written_stops_every_action(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """While another writer holds the journal, a round that would fail over records and acts on nothing."""
    settings = _settings(sim_server.url, tmp_path, _world(simulator), failure_threshold=2)
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)

    async def scenario() -> tuple[int, float, int]:
        with _runtime(settings, busy_timeout=0.2) as (runtime, metrics):
            runtime.start()
            try:
                await runtime.round()  # suspect: the first down round is journaled
                blocker = sqlite3.connect(settings.state.path, isolation_level=None)
                try:
                    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
                    blocked = await runtime.round()  # would decide FAILOVER
                    await asyncio.sleep(0.5)  # an executor task, had one started, would have posted
                    blocker.execute("ROLLBACK")
                finally:
                    blocker.close()
                calls = len(simulator.failover_calls())
                assert blocked.decisions == {}
                await runtime.round()  # the journal is writable again: decided afresh, recorded, acted
                await runtime.finish_actions(grace=30)
                return calls, _errors(metrics), len(simulator.failover_calls())
            finally:
                await runtime.close()

    calls_while_blocked, errors, calls_after = asyncio.run(scenario())
    assert calls_while_blocked == 0 and errors == 1
    assert calls_after == 1
    assert _decisions(settings.state.path) == {TEST_PAIR_NAME: 2, OTHERS[0]: 2, OTHERS[1]: 2}


def test_one_pair_that_cannot_be_decided_does_not_sink_the_round(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A pair whose journaled state is unreadable is logged and counted; the other pairs are recorded."""
    settings = _settings(sim_server.url, tmp_path, _world(simulator))
    Journal(settings.state.path).close()
    raw = sqlite3.connect(settings.state.path)
    try:
        raw.execute("INSERT INTO pair_state (pair, first_down_at) VALUES (?, 'garbage')", (OTHERS[0],))
        raw.commit()
    finally:
        raw.close()

    async def scenario() -> tuple[set[str], float]:
        with _runtime(settings) as (runtime, metrics):
            runtime.start()
            try:
                result = await runtime.round()
                return set(result.decisions), _errors(metrics)
            finally:
                await runtime.close()

    decided, errors = asyncio.run(scenario())
    assert decided == {TEST_PAIR_NAME, OTHERS[1]} and errors == 1
    assert _decisions(settings.state.path) == {TEST_PAIR_NAME: 1, OTHERS[0]: 0, OTHERS[1]: 1}


def _sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_full_journal_disk_acts_on_nothing_but_still_shows_production_down(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """SQLite full (as on a full disk): no failover, journal_errors counts, production_up still reads 0
    so a human is alerted; space freed, the next round records and fails over once."""
    settings = _settings(sim_server.url, tmp_path, _world(simulator), failure_threshold=2)
    pair = {"pair": TEST_PAIR_NAME}

    async def scenario() -> dict[str, Any]:
        with _runtime(settings) as (runtime, metrics):
            runtime.start()
            try:
                await runtime.round()  # healthy, recorded
                seen: dict[str, Any] = {"size": _sample(metrics, "dr_watchdog_journal_size_bytes")}
                db = runtime.journal._db  # the journal's own connection: cap the file where it is
                pages = db.execute("PRAGMA page_count").fetchone()[0]
                db.execute(f"PRAGMA max_page_count = {pages}")
                simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
                for _ in range(3):  # enough down rounds to fail over, had they been recorded
                    assert (await runtime.round()).decisions == {}
                await asyncio.sleep(0.5)
                seen["calls_while_full"] = len(simulator.failover_calls())
                seen["up_while_full"] = _sample(metrics, "dr_watchdog_production_up", **pair)
                seen["journal_errors"] = _sample(metrics, "dr_watchdog_journal_errors_total")
                db.execute("PRAGMA max_page_count = 1073741823")  # space freed
                await runtime.round()
                await runtime.round()
                await runtime.finish_actions(grace=30)
                seen["calls_after"] = len(simulator.failover_calls())
                seen["limit"] = _sample(metrics, "dr_watchdog_max_data_loss_seconds", **pair)
                return seen
            finally:
                await runtime.close()

    seen = asyncio.run(scenario())
    assert seen["size"] is not None and seen["size"] > 0
    assert seen["calls_while_full"] == 0 and seen["journal_errors"] == 3
    assert seen["up_while_full"] == 0
    assert seen["calls_after"] == 1
    assert seen["limit"] == settings.policy.max_data_loss_seconds


class FreezableClock(SystemClock):
    """The real clock whose monotonic time can jump ahead, as it does for a process frozen
    (SIGSTOP, a VM pause) between two rounds."""

    def __init__(self) -> None:
        self.frozen_for = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self.frozen_for


def test_a_round_far_later_than_scheduled_discards_its_evidence(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A round that starts more than an interval after it was due (the process frozen 60 s with a 5 s
    interval) is UNKNOWN for every pair (round_late), counted in rounds_late_total, and acts on
    nothing; the next round on schedule decides again. Before, it failed over at once."""
    settings = _settings(sim_server.url, tmp_path, _world(simulator), failure_threshold=2)
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
    clock = FreezableClock()

    async def scenario() -> tuple[list[dict[str, Any]], float | None, int]:
        metrics = Metrics(CollectorRegistry(), pairs=[p.name for p in settings.pairs])
        settings.state.path.parent.mkdir(parents=True, exist_ok=True)
        runtime = Runtime(settings, clock, metrics, Journal(settings.state.path))
        runtime.start()
        try:
            first = await runtime.round()  # suspect
            clock.frozen_for = 60.0
            late = await runtime.round()  # would be the confirming round
            calls = len(simulator.failover_calls())
            again = await runtime.round()  # back on schedule: confirms and fails over
            await runtime.finish_actions(grace=30)
            rounds = [
                {p: (d.state.value, d.rule.value, d.action) for p, d in r.decisions.items()}
                for r in (first, late, again)
            ]
            return rounds, _sample(metrics, "dr_watchdog_rounds_late_total"), calls
        finally:
            await runtime.close()

    (first, late, again), late_total, calls_after_late = asyncio.run(scenario())
    assert first[TEST_PAIR_NAME][0] == "suspect"
    assert {v[:2] for v in late.values()} == {("unknown", "round_late")} and len(late) == 3
    assert late_total == 1.0 and calls_after_late == 0
    assert again[TEST_PAIR_NAME][2] is Action.FAILOVER


def test_an_orphan_latch_whose_release_failed_too_is_released_after_the_next_round(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """The FAILOVER decision and its latch are journaled, then SQLite refuses the intent AND the
    latch's release (the same fault, as a journal busy past its timeout would): the next journaled
    round retries the release, so the pair is not failed_over until a restart; it re-arms (the
    release is an ack by `watchdog`) and fails over once, a window later."""
    settings = _settings(sim_server.url, tmp_path, _world(simulator), failure_threshold=2)
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)

    def refuse(table: str, on: bool) -> None:
        with sqlite3.connect(settings.state.path) as db:
            if on:
                db.execute(
                    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
                )
            else:
                db.execute(f"DROP TRIGGER refuse_{table}")

    async def scenario() -> tuple[bool, bool, list[Action]]:
        with _runtime(settings) as (runtime, _):
            runtime.start()
            try:
                await runtime.round()  # suspect
                refuse("intents", True)
                refuse("acks", True)
                decided = (await runtime.round()).decisions[TEST_PAIR_NAME]
                assert decided.action is Action.FAILOVER
                await runtime.finish_actions(grace=30)
                with Journal(settings.state.path) as journal:
                    stuck = journal.load_state(TEST_PAIR_NAME).latched
                refuse("intents", False)
                refuse("acks", False)
                await runtime.round()  # still latched when decided; the release follows its record
                with Journal(settings.state.path) as journal:
                    released = not journal.load_state(TEST_PAIR_NAME).latched
                actions = [(await runtime.round()).decisions[TEST_PAIR_NAME].action for _ in range(3)]
                await runtime.finish_actions(grace=30)
                return stuck, released, actions
            finally:
                await runtime.close()

    stuck, released, actions = asyncio.run(scenario())
    assert stuck and released
    assert actions[:2] == [Action.NONE, Action.FAILOVER]
    assert len(simulator.failover_calls()) == 1
    with Journal(settings.state.path) as journal:
        [ack] = journal.acks(TEST_PAIR_NAME)
        assert ack.owner == "watchdog" and "could not be journaled" in (ack.note or "")
