"""Two instances' executors (each its own journal) sharing one operator state, against the simulator
over real HTTP: the claim, the fenced sent mark, a pause given through another instance, and the new
leader's takeover of an old leader's intents. The store is the in-process one (`MemoryStore`), whose
`term` plays the leader key; the etcd store is tested on a real etcd (test_etcd_state.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from tests.integration.executor.helpers import TIMING, Loop, SimClock
from watchdog.failover import Executor, Step
from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import MemoryStore
from watchdog.ha.takeover import Takeover
from watchdog.journal import Journal
from watchdog.model import FailoverIntent, IntentStatus, Pause
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow


class Instance:
    """One watchdog instance: its journal, its executor, its handle on the shared store."""

    def __init__(self, name: str, loop: Loop, store: MemoryStore, term: list[int]) -> None:
        self.name, self.loop = name, loop
        self.coord = Coordination(store, name, loop.clock, term=lambda: term[0])
        loop.executor.coordination = self.coord
        self.tasks: list[asyncio.Task[FailoverIntent]] = []
        self.takeover = Takeover(self.coord, loop.journal, loop.executor, self.spawn)

    def spawn(self, _pair: str, work: Coroutine[Any, Any, FailoverIntent]) -> None:
        self.tasks.append(asyncio.create_task(work))

    @property
    def executor(self) -> Executor:
        return self.loop.executor


def posts(simulator: Simulator) -> int:
    return len(simulator.failover_calls(TEST_DR_ID))


def build(url: str, path: Path, simulator: Simulator) -> Loop:
    return Loop.build(url, Journal(path), SimClock(simulator), timing=TIMING)


async def decide(a: Instance, simulator: Simulator) -> tuple[Any, Any]:
    simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
    evaluation, obs = await a.loop.until_failover()
    return evaluation.decision, obs


def test_a_leader_that_lost_its_term_never_posts_and_its_intent_is_closed_by_the_new_one(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """A claims under term 1 and waits in its veto hook; B leads with term 2 and closes A's unsent
    intent; A's fenced sent mark fails: A closes its intent unsent, and nothing was POSTed."""
    store, term = MemoryStore(), [1]
    store.term = 1

    async def body() -> None:
        async with (
            build(sim_server.url, tmp_path / "a.db", simulator) as la,
            build(sim_server.url, tmp_path / "b.db", simulator) as lb,
        ):
            a, b = Instance("a", la, store, term), Instance("b", lb, store, term)

            async def veto(_intent: FailoverIntent) -> None:
                store.term = 2  # the leadership moved while A's hook ran
                await b.coord.load()
                await b.takeover.settle({TEST_PAIR_NAME})

            a.executor.before_submit = veto
            decision, obs = await decide(a, simulator)
            done = await a.executor.execute(decision, obs)
            assert done.status is IntentStatus.FAILED and done.sent_at is None
            shared = await store.load()
            assert shared.pair(TEST_PAIR_NAME).intent is None
            assert shared.pair(TEST_PAIR_NAME).latched_at is None

    asyncio.run(body())
    assert posts(simulator) == 0


def test_a_sent_intent_of_a_dead_leader_is_taken_over_and_followed_never_posted_again(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """A POSTs, then dies while tracking; B leads, takes the sent intent over, follows the DR task to
    completion: one POST in the simulator's record, the pair latched in the shared state."""
    store, term = MemoryStore(), [1]
    store.term = 1

    async def body() -> None:
        async with (
            build(sim_server.url, tmp_path / "a.db", simulator) as la,
            build(sim_server.url, tmp_path / "b.db", simulator) as lb,
        ):
            a, b = Instance("a", la, store, term), Instance("b", lb, store, term)
            submitted = asyncio.Event()
            a.executor.on_step = lambda step, _i: submitted.set() if step is Step.SUBMITTED else None
            decision, obs = await decide(a, simulator)
            task = asyncio.create_task(a.executor.execute(decision, obs))
            await submitted.wait()
            task.cancel()  # A dies while tracking (its journal holds a submitted intent)
            await asyncio.gather(task, return_exceptions=True)
            store.term = term[0] = 2
            await b.coord.load()
            await b.takeover.settle({TEST_PAIR_NAME})
            assert len(b.tasks) == 1
            done = await b.tasks[0]
            assert done.status is IntentStatus.COMPLETED, done.detail
            assert done.requested_by == "taken over from a"
            shared = await store.load()
            assert shared.pair(TEST_PAIR_NAME).intent is None
            assert shared.pair(TEST_PAIR_NAME).latched_at is not None

    asyncio.run(body())
    assert posts(simulator) == 1


def test_a_pause_given_through_another_instance_stops_the_post(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """A pause written by another instance's CLI between A's decision and its POST: the sent mark
    (one write with the pause check) refuses, A closes its intent unsent: no POST."""
    store, term = MemoryStore(), [1]
    store.term = 1

    async def body() -> None:
        async with build(sim_server.url, tmp_path / "a.db", simulator) as la:
            a = Instance("a", la, store, term)
            cli = Coordination(store, "cli:ops@b", la.clock)

            async def veto(_intent: FailoverIntent) -> None:
                assert await cli.pause(Pause("game day", "ops@b", la.clock.now(), None, None)) is None

            a.executor.before_submit = veto
            decision, obs = await decide(a, simulator)
            done = await a.executor.execute(decision, obs)
            assert done.status is IntentStatus.FAILED and done.sent_at is None
            assert "paused by ops@b" in (done.detail or "")

    asyncio.run(body())
    assert posts(simulator) == 0


def test_a_claim_is_refused_while_another_instances_intent_is_open(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    store, term = MemoryStore(), [1]
    store.term = 1

    async def body() -> None:
        async with (
            build(sim_server.url, tmp_path / "a.db", simulator) as la,
            build(sim_server.url, tmp_path / "b.db", simulator) as lb,
        ):
            a, b = Instance("a", la, store, term), Instance("b", lb, store, term)
            decision, obs = await decide(a, simulator)

            async def veto(_intent: FailoverIntent) -> None:  # B decides while A's hook runs
                done = await b.executor.execute(decision, obs)
                assert done.status is IntentStatus.FAILED and done.sent_at is None
                assert "a's failover intent" in (done.detail or "")

            a.executor.before_submit = veto
            done = await a.executor.execute(decision, obs)
            assert done.sent_at is not None

    asyncio.run(body())
    assert posts(simulator) == 1
