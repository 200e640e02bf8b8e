"""A failed-over pair against the simulator: once the DR task stops syncing, its RPO grows every round,
and the journal must not (the growing RPO only restates time)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import CollectorRegistry

from tests.integration.test_rounds import _settings
from watchdog.journal import Journal
from watchdog.metrics import Metrics
from watchdog.model import State
from watchdog.rounds import Runtime
from watchdog.simulator import SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME, make_test_simulator

ROUNDS = 40


def test_a_failed_over_pair_adds_no_rows_round_after_round(tmp_path: Path) -> None:
    """Fail production over (auto), then 40 rounds of the latched pair, the watchdog sharing the
    simulator's clock at 20x (each round 5 virtual seconds later, so the RPO grows by seconds a
    round): the RPO keeps growing, the rows stop after the first few."""
    simulator = make_test_simulator(time_scale=20.0)
    clock = simulator.clock
    with SimulatorServer(simulator) as server:
        # A 30 s interval while the test runs a round every 5 virtual seconds: at 20x, the real time
        # spent between rounds (reading the journal) must not make a round late (`round_late`).
        pairs = {TEST_PAIR_NAME: TEST_DR_ID}
        settings = _settings(server.url, tmp_path, pairs, failure_threshold=2, probe_interval_seconds=30)
        settings.state.path.parent.mkdir(parents=True, exist_ok=True)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)

        async def scenario() -> tuple[list[tuple[State, int]], list[float | None]]:
            metrics = Metrics(CollectorRegistry(), pairs=[TEST_PAIR_NAME], process_collectors=False)
            runtime = Runtime(settings, clock, metrics, Journal(settings.state.path))
            runtime.start()
            try:
                for _ in range(3):
                    await runtime.round()
                await runtime.finish_actions(grace=30)
                seen, rpos = [], []
                for i in range(ROUNDS):
                    result = await runtime.round()
                    with Journal(settings.state.path) as journal:
                        rows = journal.decisions(TEST_PAIR_NAME)
                    seen.append((result.decisions[TEST_PAIR_NAME].state, len(rows)))
                    if i in (10, ROUNDS - 1):  # the DR task's own RPO, read as the probes read it
                        progress = await runtime.client.show_disaster_progress(TEST_DR_ID)
                        rpos.append(progress.recovery_point_object)
                    await clock.sleep(5)
                return seen, rpos
            finally:
                await runtime.close()

        seen, (early, late) = asyncio.run(scenario())
    assert {state for state, _ in seen[5:]} == {State.FAILED_OVER}
    assert early is not None and late is not None and late - early >= 5 * (ROUNDS - 12)
    assert seen[-1][1] == seen[10][1], [rows for _, rows in seen]


def test_an_api_outage_adds_no_rows_round_after_round(tmp_path: Path) -> None:
    """Every read answers 503 for 40 rounds: the pair is UNKNOWN round after round. Each answer
    carries its own request id, which the recorded error keeps (it names the call for the cloud's
    support), and still the rows stop after the first UNKNOWN round: a request id names one call,
    it does not say anything new about the pair."""
    simulator = make_test_simulator(time_scale=20.0)
    clock = simulator.clock
    with SimulatorServer(simulator) as server:
        settings = _settings(server.url, tmp_path, {TEST_PAIR_NAME: TEST_DR_ID}, failure_threshold=2)
        settings.state.path.parent.mkdir(parents=True, exist_ok=True)

        async def scenario() -> list[tuple[State, int]]:
            metrics = Metrics(CollectorRegistry(), pairs=[TEST_PAIR_NAME], process_collectors=False)
            runtime = Runtime(settings, clock, metrics, Journal(settings.state.path))
            runtime.start()
            try:
                await runtime.round()
                simulator.inject(kind="error", operation="*", status=503)
                seen = []
                for _ in range(ROUNDS):
                    result = await runtime.round()
                    with Journal(settings.state.path) as journal:
                        rows = journal.decisions(TEST_PAIR_NAME)
                    seen.append((result.decisions[TEST_PAIR_NAME].state, len(rows)))
                    await clock.sleep(1)  # the retries took most of the interval: on time
                return seen
            finally:
                await runtime.close()

        seen = asyncio.run(scenario())
        with Journal(settings.state.path) as journal:
            recorded = list(journal.observations(TEST_PAIR_NAME))
    assert {state for state, _ in seen} == {State.UNKNOWN}
    errors = [s.error for s in recorded[-1].signals if s.error]
    assert errors and all("[request " in e for e in errors), errors
    assert seen[-1][1] == seen[1][1], [rows for _, rows in seen]
