"""The executor when the journal refuses a write (a real SQLite failure on a real file)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.executor.helpers import Loop, SimClock
from watchdog.journal import Journal, JournalError
from watchdog.model import Action, State
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


def refuse_intents(path: Path, refuse: bool) -> None:
    """Make SQLite itself refuse every new intent row (as a full disk would), or stop refusing."""
    with sqlite3.connect(path) as db:
        if refuse:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON intents "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        else:
            db.execute("DROP TRIGGER refuse")


def test_an_intent_that_cannot_be_journaled_releases_its_latch_at_once(
    sim_server: SimulatorServer, simulator: Simulator, journal: Journal
) -> None:
    """The FAILOVER decision and its latch are journaled, then writing the intent fails: nothing is
    sent, and the latch and cooldown are released in the same path with the reason journaled (an
    ack by `watchdog`), so the next round is not "failed over" but decides FAILOVER again."""

    async def body() -> None:
        async with Loop.build(sim_server.url, journal, SimClock(simulator)) as loop:
            simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
            evaluation, obs = await loop.until_failover()
            assert journal.load_state(TEST_PAIR_NAME).latched
            refuse_intents(journal.path, True)
            with pytest.raises(JournalError, match="disk is full"):
                await loop.executor.execute(evaluation.decision, obs)
            state = journal.load_state(TEST_PAIR_NAME)
            assert not state.latched and state.cooldown_until is None
            [ack] = journal.acks(TEST_PAIR_NAME)
            assert ack.owner == "watchdog" and "could not be journaled" in (ack.note or "")
            assert "disk is full" in (ack.note or "")
            refuse_intents(journal.path, False)
            again, _ = await loop.round()
            assert (again.decision.state, again.decision.action) != (State.FAILED_OVER, Action.NONE)
            assert again.decision.action is Action.FAILOVER

    asyncio.run(body())
    assert simulator.requests("switch_failover_disaster") == []
