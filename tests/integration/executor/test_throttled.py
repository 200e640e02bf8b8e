"""A failover POST refused with 429: released, retried after a bounded, jittered backoff, counted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from tests.integration.executor.helpers import TIMING, Loop, SimClock
from watchdog.failover.submission import backoff
from watchdog.journal import Journal
from watchdog.metrics import Metrics
from watchdog.model import Action, FailoverIntent, IntentStatus, ReasonCode, State
from watchdog.simulator import SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME, make_test_simulator
from watchdog.wiring import count_step

pytestmark = pytest.mark.slow
BASE, CAP = 20.0, 30.0  # seconds of the simulator's clock


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def test_throttled_failovers_back_off_per_pair_and_are_counted(journal: Journal) -> None:
    """Two 429s in a row: each closes its intent unlatched with a backoff as the pair's cooldown,
    jittered within [base/2, base], then doubled and capped at the maximum and jittered the same way (so
    within [cap/2, cap] here, as 2 x base > cap); while it runs the rounds
    decide BLOCKED (cooldown), so the pre-failover hook is not run again; after it the next attempt
    goes out and completes. Each 429 counts once in dr_watchdog_failover_throttled_total, not as a
    failed failover."""
    timing = replace(TIMING, throttle_backoff_seconds=BASE, throttle_backoff_max_seconds=CAP)
    registry = CollectorRegistry()
    metrics = Metrics(registry, pairs=[TEST_PAIR_NAME], process_collectors=False)
    hook_runs: list[int] = []
    waits: list[float] = []
    outcomes: list[FailoverIntent] = []

    simulator = make_test_simulator(time_scale=10)

    async def body() -> None:
        with SimulatorServer(simulator) as server:
            await run(server.url)

    async def run(url: str) -> None:
        async with Loop.build(url, journal, SimClock(simulator), timing=timing) as loop:
            loop.executor.before_submit = lambda intent: hook_runs.append(intent.id)
            loop.executor.on_step = lambda step, intent: count_step(metrics, step, intent)
            simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
            simulator.inject(kind="error", operation="switch_failover_disaster", status=429, count=2)
            for _ in range(3):
                evaluation, obs = await loop.until_failover(rounds=400)
                outcome = await loop.executor.execute(evaluation.decision, obs)
                outcomes.append(outcome)
                if outcome.status is IntentStatus.COMPLETED:
                    break
                state = journal.load_state(TEST_PAIR_NAME)
                assert not state.latched and state.cooldown_until is not None
                assert outcome.finished_at is not None
                waits.append((state.cooldown_until - outcome.finished_at).total_seconds())
                held, _ = await loop.round()
                assert (held.decision.state, held.decision.action) == (State.BLOCKED, Action.NONE)
                assert held.decision.rule is ReasonCode.COOLDOWN
                runs_before = len(hook_runs)
                await loop.round()
                assert len(hook_runs) == runs_before  # no hook run, no POST during the backoff

    asyncio.run(body())
    assert [o.status for o in outcomes] == [IntentStatus.FAILED, IntentStatus.FAILED, IntentStatus.COMPLETED]
    assert "throttled by the API" in (outcomes[0].detail or "")
    second = min(CAP, 2 * BASE)  # doubled, then capped; the jitter applies to the capped value
    assert BASE / 2 <= waits[0] <= BASE and second / 2 <= waits[1] <= second, waits
    assert len(hook_runs) == 3 and len(simulator.requests("switch_failover_disaster")) == 3
    assert registry.get_sample_value("dr_watchdog_failover_throttled_total") == 2
    failed = {"pair": TEST_PAIR_NAME, "result": "failed"}
    assert registry.get_sample_value("dr_watchdog_failovers_total", failed) == 0
    assert journal.load_state(TEST_PAIR_NAME).latched  # by the completed one


def test_backoff_is_bounded_and_respects_retry_after() -> None:
    """The backoff never exceeds the maximum, even after many 429s or a huge Retry-After."""
    for attempt in (1, 2, 5, 50, 500):
        wait = backoff(
            replace(TIMING, throttle_backoff_seconds=30, throttle_backoff_max_seconds=600), attempt, None
        )
        assert 0 < wait <= 600
    assert backoff(replace(TIMING, throttle_backoff_seconds=1), 1, 1e9) == TIMING.throttle_backoff_max_seconds
    assert backoff(replace(TIMING, throttle_backoff_seconds=1, throttle_backoff_max_seconds=100), 1, 40) == 40
