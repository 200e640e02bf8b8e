"""Two executors on one journal (a CLI `failover` and the daemon), interleaved deterministically."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from tests.integration.executor.helpers import AUTO, TIMING, Loop, SimClock
from watchdog.failover import Executor, Step
from watchdog.journal import IntentAlreadyFinal, IntentAlreadySent, Journal
from watchdog.metrics import Metrics
from watchdog.model import Action, FailoverIntent, IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME
from watchdog.wiring import count_step

pytestmark = pytest.mark.slow
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def test_unsent_release_racing_the_send_never_gives_two_posts(
    sim_server: SimulatorServer, simulator: Simulator, journal: Journal
) -> None:
    """The maker is in its veto hook when another process reads the intent as unsent; the maker then
    marks it sent and POSTs, and only then the other process closes what it read as "never sent".
    The close is conditioned on `sent_at IS NULL`: it fails, the intent is followed as sent, the
    latch holds, and the next round does not decide FAILOVER again: one POST."""
    seen: list[FailoverIntent] = []
    others: list[asyncio.Task[FailoverIntent]] = []

    async def body() -> None:
        async with Loop.build(sim_server.url, journal, SimClock(simulator)) as maker:
            with Journal(journal.path) as daemon_journal:
                daemon = Executor(daemon_journal, lambda _p: maker.client, maker.clock, timing=TIMING)

                def veto(intent: FailoverIntent) -> None:
                    found = daemon_journal.open_intent(intent.pair)  # the daemon's read: unsent
                    assert found is not None and found.sent_at is None
                    seen.append(found)

                def on_step(step: Step, _intent: FailoverIntent) -> None:
                    if step is Step.SENT:  # sent_at is durable, the POST about to go out
                        others.append(asyncio.create_task(daemon.follow(seen[0], startup=True)))

                maker.executor.before_submit = veto
                maker.executor.on_step = on_step
                simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
                evaluation, obs = await maker.until_failover()
                made = await maker.executor.execute(evaluation.decision, obs)
                followed = await others[0]
                after, _ = await maker.round()
        assert made.status is IntentStatus.COMPLETED, made.detail
        assert followed.status is IntentStatus.COMPLETED, followed.detail
        assert after.decision.action is not Action.FAILOVER
        assert journal.load_state(TEST_PAIR_NAME).latched

    asyncio.run(body())
    assert len(simulator.requests("switch_failover_disaster")) == 1


def test_unsent_close_and_a_late_send_never_both_happen(journal: Journal) -> None:
    """The other order: the intent is closed as never sent first; the maker's sent mark then fails,
    so it does not POST (the journal refuses it in the same conditional write)."""
    made = journal.create_intent(TEST_PAIR_NAME, TEST_DR_ID, NOW, old_primary_id="a", old_standby_id="b")
    closed = journal.close_unsent(made.id, made.created_at, "gone")
    assert closed.status is IntentStatus.FAILED
    with pytest.raises(IntentAlreadyFinal):
        journal.mark_sent(made.id, made.created_at)
    other = journal.create_intent(
        TEST_PAIR_NAME, TEST_DR_ID, made.created_at, old_primary_id="a", old_standby_id="b"
    )
    journal.mark_sent(other.id, other.created_at)
    with pytest.raises(IntentAlreadySent):
        journal.close_unsent(other.id, other.created_at, "gone")
    assert journal.intent(other.id).status is IntentStatus.INTENDED


def test_the_daemon_counts_a_cli_failover_it_followed_once(
    sim_server: SimulatorServer, simulator: Simulator, journal: Journal
) -> None:
    """A CLI failover (no metrics of its own) is followed by the daemon, which polls more slowly, so
    the CLI journals the outcome first: the daemon still counts its submission and completion, once
    each, also when it follows the intent twice."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, pairs=[TEST_PAIR_NAME], process_collectors=False)
    counted: set[tuple[int, str]] = set()
    followers: list[asyncio.Task[FailoverIntent]] = []

    async def body() -> FailoverIntent:
        async with Loop.build(sim_server.url, journal, SimClock(simulator)) as cli:
            with Journal(journal.path) as daemon_journal:
                daemon = Executor(
                    daemon_journal,
                    lambda _p: cli.client,
                    cli.clock,
                    timing=replace(TIMING, poll_interval_seconds=1.0),
                    on_step=lambda step, intent: count_step(metrics, step, intent, counted),
                )

                def on_step(step: Step, intent: FailoverIntent) -> None:
                    if step is Step.SUBMITTED:  # the daemon's rounds see it open and follow it
                        for _ in range(2):
                            followers.append(asyncio.create_task(daemon.follow(intent)))

                cli.executor.on_step = on_step
                simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
                obs = await cli.observe()
                outcome = await cli.executor.manual_failover(obs, AUTO, requested_by="alice")
                assert outcome.intent is not None
                for done in await asyncio.gather(*followers):
                    assert done.status is IntentStatus.COMPLETED
                return outcome.intent

    intent = asyncio.run(body())
    assert intent.status is IntentStatus.COMPLETED, intent.detail
    for result, expected in (("submitted", 1), ("completed", 1), ("failed", 0)):
        labels = {"pair": TEST_PAIR_NAME, "result": result}
        assert registry.get_sample_value("dr_watchdog_failovers_total", labels) == expected, result
