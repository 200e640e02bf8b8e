"""A refused or failed failover never reads as "failed over": state, status and metrics say so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from tests.integration.executor.helpers import AUTO, Loop, SimClock
from watchdog import commands, report
from watchdog.journal import Journal
from watchdog.metrics import Metrics
from watchdog.model import IntentStatus, ReasonCode, State
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME, make_test_simulator
from watchdog.status import pair_status

pytestmark = pytest.mark.slow


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def test_a_failover_refused_by_the_api_reads_failover_failed(
    journal: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    """The API refuses the POST (version below 8.1.2: a 400 with a DWS error body): nothing was
    promoted, so the next round is failover_failed (not failed_over) with the API's code and message
    and how to re-arm; status JSON and the decision metric say the same; the latch holds until ack."""
    sim: Simulator = make_test_simulator(version="8.1.1.100")
    registry = CollectorRegistry()
    metrics = Metrics(registry, pairs=[TEST_PAIR_NAME], process_collectors=False)

    async def body() -> None:
        with SimulatorServer(sim) as server:
            async with Loop.build(server.url, journal, SimClock(sim)) as loop:
                obs = await loop.observe()
                outcome = await loop.executor.manual_failover(obs, AUTO, force=True, requested_by="alice")
                assert outcome.intent is not None and outcome.intent.status is IntentStatus.FAILED
                after, _ = await loop.round()
                report.decision_metrics(metrics, after.decision)
                d = after.decision
                assert (d.state, d.rule) == (State.FAILOVER_FAILED, ReasonCode.FAILOVER_FAILED)
                message = d.reasons[0].message
                assert "DWS." in message and "rejected by the API" in message, message
                assert "dr-watchdog ack --config F --pair P" in message

    asyncio.run(body())
    doc = pair_status(journal, TEST_PAIR_NAME, sim.now())
    assert (doc["state"], doc["latched"], doc["open_intent"]) == ("failover_failed", True, None)
    assert doc["last_intent"]["status"] == "failed" and "DWS." in doc["last_intent"]["detail"]
    assert doc["reasons"][0]["code"] == "failover_failed"
    commands._print_pair(doc)
    text = capsys.readouterr().out
    assert "FAILOVER FAILED" in text and "nothing was promoted" in text and "DWS." in text
    assert "LATCHED after a failover" not in text
    sample = registry.get_sample_value
    assert sample("dr_watchdog_decision", {"pair": TEST_PAIR_NAME, "decision": "failover_failed"}) == 1
    assert (
        sample("dr_watchdog_decision", {"pair": TEST_PAIR_NAME, "decision": "failed_over"}) is None
    )  # absent
    assert sim.failover_calls(TEST_DR_ID) == [] and journal.load_state(TEST_PAIR_NAME).latched


def test_status_text_says_failover_failed_before_any_round_follows(
    journal: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CLI failover the API refuses, and no daemon round after it (none running): the newest
    decision is still the manual one, but the pair is latched and its newest intent failed, so
    `status` says FAILOVER FAILED with the API's error (it said 'LATCHED after a failover')."""
    sim: Simulator = make_test_simulator(version="8.1.1.100")

    async def body() -> None:
        with SimulatorServer(sim) as server:
            async with Loop.build(server.url, journal, SimClock(sim)) as loop:
                obs = await loop.observe()
                outcome = await loop.executor.manual_failover(obs, AUTO, force=True, requested_by="alice")
                assert outcome.intent is not None and outcome.intent.status is IntentStatus.FAILED

    asyncio.run(body())
    doc = pair_status(journal, TEST_PAIR_NAME, sim.now())
    assert doc["latched"] and doc["last_intent"]["status"] == "failed"
    commands._print_pair(doc)
    text = capsys.readouterr().out
    assert "FAILOVER FAILED" in text and "nothing was promoted" in text and "DWS." in text, text
    assert "LATCHED after a failover" not in text
