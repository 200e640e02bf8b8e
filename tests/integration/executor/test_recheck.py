"""The re-read right before the POST of an automatic failover: abort unless still down, roles unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.executor.helpers import Loop, SimClock
from watchdog.failover import Step
from watchdog.journal import Journal
from watchdog.model import FailoverIntent, IntentStatus, ReasonCode, State
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def aborted_while_the_hook_runs(
    url: str, simulator: Simulator, journal: Journal, meanwhile: Callable[[], None]
) -> tuple[FailoverIntent, list[Step], State]:
    """Fail production, decide FAILOVER, run `meanwhile` inside the veto hook; the intent, the steps
    and the state of the next round."""
    steps: list[Step] = []

    async def body() -> tuple[FailoverIntent, State]:
        async with Loop.build(url, journal, SimClock(simulator)) as loop:
            loop.executor.before_submit = lambda _intent: meanwhile()
            loop.executor.on_step = lambda step, _intent: steps.append(step)
            simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
            evaluation, obs = await loop.until_failover()
            intent = await loop.executor.execute(evaluation.decision, obs)
            after, _ = await loop.round()
            return intent, after.decision.state

    intent, state = asyncio.run(body())
    return intent, steps, state


def test_production_recovered_during_the_veto_hook_aborts_and_stays_armed(
    sim_server: SimulatorServer, simulator: Simulator, journal: Journal
) -> None:
    """Production comes back while the pre-failover hook runs: the re-read sees it AVAILABLE, the
    failover is aborted (journaled, `failover_aborted`, what was seen), nothing is sent, and the pair
    stays armed: no latch, no cooldown, the next round sees it healthy."""
    production = simulator.pairs[TEST_DR_ID].primary.id
    intent, steps, state = aborted_while_the_hook_runs(
        sim_server.url, simulator, journal, lambda: simulator.recover_cluster(production)
    )
    assert intent.status is IntentStatus.FAILED and intent.sent_at is None
    assert (intent.detail or "").startswith(ReasonCode.FAILOVER_ABORTED.value)
    assert "production is not down" in (intent.detail or "") and "AVAILABLE" in (intent.detail or "")
    assert steps[-1] is Step.ABORTED and Step.SENT not in steps
    pair = journal.load_state(TEST_PAIR_NAME)
    assert not pair.latched and pair.cooldown_until is None and pair.open_intent_id is None
    assert state is State.HEALTHY
    assert simulator.requests("switch_failover_disaster") == []


def test_roles_changed_during_the_veto_hook_aborts(
    sim_server: SimulatorServer, simulator: Simulator, journal: Journal
) -> None:
    """Someone else moved the primary role while the hook ran: aborted, nothing sent, not latched."""
    standby = simulator.pairs[TEST_DR_ID].standby.id
    intent, _steps, _state = aborted_while_the_hook_runs(
        sim_server.url,
        simulator,
        journal,
        lambda: simulator.override(TEST_DR_ID, primary_cluster__id=standby),
    )
    assert intent.status is IntentStatus.FAILED and "the roles changed" in (intent.detail or "")
    assert not journal.load_state(TEST_PAIR_NAME).latched
    assert simulator.requests("switch_failover_disaster") == []


def test_still_down_goes_ahead(sim_server: SimulatorServer, simulator: Simulator, journal: Journal) -> None:
    """Production still FAILED and the roles unchanged at the re-read: the one POST goes out."""
    intent, steps, state = aborted_while_the_hook_runs(sim_server.url, simulator, journal, lambda: None)
    assert intent.status is IntentStatus.COMPLETED, intent.detail
    assert Step.ABORTED not in steps and state is State.FAILED_OVER
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_a_dr_task_unreadable_at_the_re_read_aborts(
    sim_server: SimulatorServer, simulator: Simulator, journal: Journal
) -> None:
    """The re-read cannot confirm the outage (the DR detail answers 503 past the retries): abort,
    nothing sent, the pair armed for the next rounds to decide again."""

    def unreadable() -> None:
        simulator.inject(kind="error", operation="show_disaster_detail", status=503, count=50)

    intent, _steps, state = aborted_while_the_hook_runs(sim_server.url, simulator, journal, unreadable)
    assert intent.status is IntentStatus.FAILED and "could not be read" in (intent.detail or "")
    assert state is State.FAILOVER_WARRANTED  # armed: production still down, the next round decides again
    assert simulator.requests("switch_failover_disaster") == []
