"""A small watchdog loop for the executor tests: real client, real prober, real journal, the pure policy.

It is the daemon's observe -> decide -> act -> record in its simplest form, so the tests (and the
SIGKILL driver) exercise the real parts without the daemon's scheduler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.failover import Executor, ExecutorTiming, Step
from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import overlay
from watchdog.journal import Journal
from watchdog.model import Action, FailoverIntent, IntentStatus, Mode, Observation, Policy
from watchdog.policy import Evaluation, evaluate
from watchdog.probes import Prober
from watchdog.simulator import Simulator
from watchdog.simulator.testing import TEST_CREDENTIALS, TEST_DR_ID, TEST_PAIR_NAME, TEST_PROJECT_ID

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
AUTO = Policy(
    mode=Mode.AUTO,
    probe_interval_seconds=0.2,
    failure_threshold=1,
    min_outage_seconds=0,
    max_data_loss_seconds=3600,
    cooldown_seconds=3600,
)
TIMING = ExecutorTiming(
    poll_interval_seconds=0.2,
    track_timeout_seconds=30,
    settle_seconds=5,
    unknown_grace_seconds=3,
    throttle_backoff_seconds=0.5,
    throttle_backoff_max_seconds=2,
)


class SimClock:
    """The simulator's virtual time as a Clock, so policy timings follow the simulated world."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    def now(self) -> datetime:
        return self.simulator.now()

    def monotonic(self) -> float:
        return (self.simulator.now() - EPOCH).total_seconds()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(self.simulator.clock.real_seconds(max(0.0, seconds)))


class WallClock:
    """The real clock (for the driver subprocess, where the simulator runs elsewhere at time scale 1)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return (datetime.now(UTC) - EPOCH).total_seconds()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


def make_client(url: str, timeout: float = 1.0) -> DwsClient:
    return DwsClient(url, TEST_PROJECT_ID, TEST_CREDENTIALS, timeout=timeout, retry=RetryPolicy(deadline=3))


@dataclass
class Loop:
    """One pair (`sales-dw`) watched through the real client, prober, journal and executor."""

    journal: Journal
    client: DwsClient
    clock: SimClock | WallClock
    executor: Executor
    on_decided: Callable[[], None] | None = None  # after a FAILOVER decision is journaled, before acting
    coordination: Coordination | None = None  # an HA group's shared state, merged into the pair's state
    before_round: Callable[[], Awaitable[None]] | None = None  # e.g. read the shared state, settle it

    @classmethod
    def build(
        cls,
        url: str,
        journal: Journal,
        clock: SimClock | WallClock,
        *,
        on_step: Callable[[Step, FailoverIntent], None] | None = None,
        timing: ExecutorTiming = TIMING,
        **executor_options: object,
    ) -> Loop:
        client = make_client(url)
        executor = Executor(
            journal,
            lambda _pair: client,
            clock,
            timing=timing,
            on_step=on_step,
            **executor_options,  # type: ignore[arg-type]
        )
        return cls(journal, client, clock, executor)

    async def __aenter__(self) -> Loop:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def observe(self) -> Observation:
        prober = Prober({TEST_PROJECT_ID: self.client}, [(TEST_PAIR_NAME, TEST_PROJECT_ID, TEST_DR_ID)])
        return (await prober.probe_round(self.clock.now()))[TEST_PAIR_NAME]

    async def round(self, policy: Policy = AUTO) -> tuple[Evaluation, Observation]:
        """observe -> decide -> record (the action is the caller's)."""
        obs = await self.observe()
        now = self.clock.now()
        state = self.journal.load_state(TEST_PAIR_NAME, now)
        coord = self.coordination
        if coord is not None and coord.shared is not None:
            state = overlay(state, coord.shared, TEST_PAIR_NAME, coord.me, now)
        evaluation = evaluate(obs, state, policy, now)
        self.journal.record(obs, evaluation.decision, evaluation.next_state, state_before=state)
        return evaluation, obs

    async def until_failover(
        self, policy: Policy = AUTO, rounds: int = 100
    ) -> tuple[Evaluation, Observation]:
        """Rounds until the policy decides FAILOVER (the test fails if it never does)."""
        for _ in range(rounds):
            evaluation, obs = await self.round(policy)
            if evaluation.decision.action is Action.FAILOVER:
                return evaluation, obs
            await self.clock.sleep(policy.probe_interval_seconds)
        raise AssertionError(f"no FAILOVER in {rounds} rounds: last {evaluation.decision.reasons}")

    async def run_to_completion(self, policy: Policy = AUTO, rounds: int = 200) -> FailoverIntent | None:
        """The driver loop: reconcile, then rounds acting on FAILOVER and following open intents."""
        await self.executor.reconcile()
        for _ in range(rounds):
            if self.before_round is not None:
                await self.before_round()
            done = [i for i in self.journal.intents(TEST_PAIR_NAME) if i.status is IntentStatus.COMPLETED]
            if done:
                return done[-1]
            evaluation, obs = await self.round(policy)
            if evaluation.decision.action is Action.FAILOVER:
                if self.on_decided is not None:
                    self.on_decided()
                await self.executor.execute(evaluation.decision, obs)
            elif evaluation.decision.action is Action.TRACK:
                open_intent = self.journal.open_intent(TEST_PAIR_NAME)
                if open_intent is not None and open_intent.status is not IntentStatus.UNKNOWN:
                    await self.executor.follow(open_intent)
                else:
                    return open_intent
            await self.clock.sleep(policy.probe_interval_seconds)
        return None
