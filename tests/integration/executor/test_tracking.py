"""Following an accepted failover: failed only on positive evidence, a late switch still completes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.executor.helpers import TIMING, Loop, SimClock
from watchdog.journal import Journal
from watchdog.model import FailoverIntent, IntentStatus
from watchdog.simulator import DrStatus, Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME, make_test_simulator

pytestmark = pytest.mark.slow


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def test_a_slow_starting_switch_on_an_abnormal_task_completes_and_runs_the_post_hook(
    journal: Journal,
) -> None:
    """The DR task is already `abnormal` (production died) and the API takes 40 s to show
    `switchovering`, far beyond settle_seconds (5 s): the intent is not failed on that, it is followed,
    completes when the switch does, and the post-failover hook runs."""
    sim = make_test_simulator(time_scale=20, abnormal_delay_seconds=2, action_delay_seconds=40)
    timing = replace(TIMING, poll_interval_seconds=2, track_timeout_seconds=300)
    after: list[FailoverIntent] = []

    async def body(sim: Simulator) -> FailoverIntent:
        with SimulatorServer(sim) as server:
            async with Loop.build(server.url, journal, SimClock(sim), timing=timing) as loop:
                loop.executor.after_complete = after.append
                sim.fail_cluster(sim.pairs[TEST_DR_ID].primary.id)
                await loop.clock.sleep(10)
                evaluation, obs = await loop.until_failover()
                assert obs.dr_task is not None and obs.dr_task.status == DrStatus.ABNORMAL.value
                return await loop.executor.execute(evaluation.decision, obs)

    intent = asyncio.run(body(sim))
    assert intent.status is IntentStatus.COMPLETED, intent.detail
    assert [i.id for i in after] == [intent.id]
    assert len(sim.failover_calls(TEST_DR_ID)) == 1
    assert journal.load_state(TEST_PAIR_NAME).latched


def test_a_switch_that_never_shows_is_unknown_not_failed(journal: Journal) -> None:
    """No positive evidence of failure (the task never showed the switch) within track_timeout_seconds:
    the intent becomes `unknown` (an operator looks; it is never sent again), not `failed`."""
    sim = make_test_simulator(time_scale=20, abnormal_delay_seconds=2, action_delay_seconds=500)
    timing = replace(TIMING, poll_interval_seconds=2, track_timeout_seconds=40)

    async def body(sim: Simulator) -> FailoverIntent:
        with SimulatorServer(sim) as server:
            async with Loop.build(server.url, journal, SimClock(sim), timing=timing) as loop:
                sim.fail_cluster(sim.pairs[TEST_DR_ID].primary.id)
                await loop.clock.sleep(10)
                evaluation, obs = await loop.until_failover()
                return await loop.executor.execute(evaluation.decision, obs)

    intent = asyncio.run(body(sim))
    assert intent.status is IntentStatus.UNKNOWN, intent.detail
    assert "not finished within 40 s" in (intent.detail or "")
    assert len(sim.requests("switch_failover_disaster")) == 1
