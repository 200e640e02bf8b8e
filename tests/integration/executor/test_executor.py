"""The executor against the simulator over real HTTP on 127.0.0.1, with a real journal file."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.executor.helpers import AUTO, Loop, SimClock
from watchdog.failover import ExecutorTiming, Step
from watchdog.journal import Journal
from watchdog.model import Action, FailoverIntent, IntentStatus, ReasonCode, State
from watchdog.simulator import FailoverOutcome, Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME, TEST_PROJECT_ID, make_test_simulator

pytestmark = pytest.mark.slow
Body = Callable[[Loop], Awaitable[None]]
SCALED = {
    "time_scale": 300,
    "sync_interval_seconds": 30,
    "sync_duration_seconds": 5,
    "abnormal_delay_seconds": 20,
}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "watchdog.db") as j:
        yield j


@pytest.fixture
def run_loop(sim_server: SimulatorServer, simulator: Simulator, journal: Journal) -> Callable[[Body], None]:
    """Run an async test body with a Loop on the `sim_server` simulator, closing the client after."""

    def run(body: Body) -> None:
        async def go() -> None:
            async with Loop.build(sim_server.url, journal, SimClock(simulator)) as lp:
                await body(lp)

        asyncio.run(go())

    return run


def on_own_simulator(sim: Simulator, journal: Journal, body: Body) -> None:
    """Run an async body with a Loop on a simulator of the test's own making."""

    async def go() -> None:
        with SimulatorServer(sim) as server:
            async with Loop.build(server.url, journal, SimClock(sim)) as lp:
                await body(lp)

    asyncio.run(go())


def failover_posts(simulator: Simulator) -> int:
    """Failover POSTs the simulator saw (accepted or not), once hanging requests have been released."""
    simulator.clear_faults()
    deadline = time.monotonic() + 3
    while not simulator.requests("switch_failover_disaster") and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(simulator.requests("switch_failover_disaster"))


def fail_production(simulator: Simulator) -> None:
    simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)


def test_completion_tracking(run_loop: Callable[[Body], None], simulator: Simulator) -> None:
    """Auto mode: one POST, tracked until the roles swap and the new primary is AVAILABLE, then latched."""
    steps: list[Step] = []
    old_standby = simulator.pairs[TEST_DR_ID].standby.id

    async def body(loop: Loop) -> None:
        loop.executor.on_step = lambda step, _intent: steps.append(step)
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.COMPLETED, intent.detail
        assert intent.sent_at and intent.submitted_at and intent.finished_at
        assert intent.old_standby_id == old_standby and intent.decision_id is not None
        after, _ = await loop.round()
        assert (after.decision.state, after.decision.action) == (State.FAILED_OVER, Action.NONE)

    run_loop(body)
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert simulator.pairs[TEST_DR_ID].primary.id == old_standby
    assert steps[:4] == [Step.INTENDED, Step.SENT, Step.POSTED, Step.SUBMITTED]
    assert steps[-1] is Step.FINISHED


def test_failover_rejected_by_the_api(journal: Journal) -> None:
    """A forced manual failover the API rejects (version < 8.1.2) ends failed and latched; none accepted."""
    sim = make_test_simulator(version="8.1.1.100")

    async def body(loop: Loop) -> None:
        obs = await loop.observe()
        refused = await loop.executor.manual_failover(obs, AUTO, requested_by="alice")
        assert refused.exit_code == 3 and ReasonCode.VERSION_TOO_OLD in refused.decision.codes
        outcome = await loop.executor.manual_failover(obs, AUTO, force=True, requested_by="alice")
        assert outcome.exit_code == 1 and outcome.intent is not None
        assert outcome.intent.status is IntentStatus.FAILED
        assert "rejected by the API" in (outcome.intent.detail or "")
        assert outcome.intent.forced and outcome.intent.requested_by == "alice"

    on_own_simulator(sim, journal, body)
    assert sim.failover_calls() == [] and journal.load_state(TEST_PAIR_NAME).latched


def test_failover_that_fails_in_the_service(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """The DR task turns abnormal without a role swap: the intent ends failed and the pair stays latched."""
    simulator.set_failover_outcome(TEST_DR_ID, FailoverOutcome.FAIL)

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.FAILED and "did not swap" in (intent.detail or "")

    run_loop(body)
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert journal.load_state(TEST_PAIR_NAME).latched


def test_ambiguous_post_is_reconciled_with_one_failover(
    run_loop: Callable[[Body], None], simulator: Simulator
) -> None:
    """The API takes the POST and hangs: the executor finds the switch on the DR task and never re-sends."""
    simulator.inject(kind="hang", operation="switch_failover_disaster", apply=True, seconds=5)

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.COMPLETED, intent.detail
        assert "ambiguous answer" in (intent.detail or "") and intent.request_id is None

    run_loop(body)
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert failover_posts(simulator) == 1


@pytest.mark.parametrize(
    "fault",
    [{"kind": "reset"}, {"kind": "error", "status": 502}, {"kind": "malformed"}],
    ids=["reset", "502", "malformed-200"],
)
def test_taken_post_with_a_bad_answer_is_never_resent(
    fault: dict[str, object], run_loop: Callable[[Body], None], simulator: Simulator
) -> None:
    """The API takes the POST but the answer is a reset, a 5xx or unreadable: reconciled, one failover."""
    simulator.inject(operation="switch_failover_disaster", apply=True, count=1, **fault)

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.COMPLETED, intent.detail
        assert "ambiguous answer" in (intent.detail or "")

    run_loop(body)
    assert len(simulator.requests("switch_failover_disaster")) == 1
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_lost_post_becomes_unknown_and_is_never_resent(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """A POST hanging unapplied: unknown after the grace; reconcile never re-sends; ack closes it."""
    simulator.inject(kind="hang", operation="switch_failover_disaster", apply=False, seconds=5)

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.UNKNOWN
        simulator.clear_faults()
        again = await loop.executor.reconcile()
        assert [i.status for i in again] == [IntentStatus.UNKNOWN]
        after, _ = await loop.round()
        assert after.decision.state is State.FAILING_OVER and after.decision.action is Action.TRACK

    run_loop(body)
    assert failover_posts(simulator) == 1
    assert simulator.failover_calls() == []
    journal.ack(TEST_PAIR_NAME, "alice", simulator.now(), note="checked the console")
    assert journal.open_intents() == []


@pytest.mark.parametrize("refuse", ["veto", "may_act", "veto_error", "pause"])
def test_refusal_before_the_post_sends_nothing(
    refuse: str, run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """A veto, a failing veto hook, no authority, or a fresh pause stops the POST and lifts the latch."""

    def veto(_intent: FailoverIntent) -> str | None:
        if refuse == "veto_error":
            raise RuntimeError("hook crashed")
        return "change freeze" if refuse == "veto" else None

    async def body(loop: Loop) -> None:
        loop.executor.before_submit = veto
        loop.executor.may_act = lambda: refuse != "may_act"
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        if refuse == "pause":
            journal.pause(TEST_PAIR_NAME, "maintenance", "bob", simulator.now())
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.FAILED and intent.sent_at is None, intent.detail

    run_loop(body)
    assert simulator.requests("switch_failover_disaster") == []
    assert journal.load_state(TEST_PAIR_NAME).latched is False


@pytest.mark.parametrize("change", ["authority_lost", "paused"])
def test_authority_and_pause_are_checked_again_after_the_veto_hook(
    change: str, run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """A lease lost or a pause given while the veto hook runs still stops the POST (fencing before it)."""
    leader = [True]
    asked: list[tuple[IntentStatus, bool] | None] = []  # the open intent each time authority is asked

    def slow_hook(_intent: FailoverIntent) -> None:
        if change == "authority_lost":
            leader[0] = False
        else:
            journal.pause(TEST_PAIR_NAME, "maintenance", "bob", simulator.now())

    def may_act() -> bool:
        found = journal.open_intent(TEST_PAIR_NAME)
        asked.append((found.status, found.sent_at is None) if found else None)
        return leader[0]

    async def body(loop: Loop) -> None:
        loop.executor.before_submit = slow_hook
        loop.executor.may_act = may_act
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.FAILED and intent.sent_at is None, intent.detail
        expected = "not the instance allowed" if change == "authority_lost" else "paused by bob"
        assert expected in (intent.detail or "")

    run_loop(body)
    assert simulator.requests("switch_failover_disaster") == []
    assert asked == [(IntentStatus.INTENDED, True)] * 2  # before and after the hook, the intent unsent
    assert journal.load_state(TEST_PAIR_NAME).latched is False


def test_completion_waits_for_the_new_primary_to_finish_promoting(journal: Journal) -> None:
    """Completed only once the new primary is AVAILABLE with an empty action_progress, not at the swap."""
    sim = make_test_simulator(promote_seconds=2.0)
    old_standby = sim.pairs[TEST_DR_ID].standby.id

    async def body(loop: Loop) -> None:
        fail_production(sim)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.COMPLETED, intent.detail
        promoted = await loop.client.show_cluster(old_standby)
        assert (promoted.status_raw, dict(promoted.action_progress)) == ("AVAILABLE", {})

    on_own_simulator(sim, journal, body)
    assert len(sim.failover_calls(TEST_DR_ID)) == 1


def test_intent_stopped_before_the_post_is_closed_by_reconcile(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """An intent journaled but never sent (no sent_at) is closed at reconcile and the latch is lifted."""

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        await loop.until_failover()
        journal.create_intent(
            TEST_PAIR_NAME, TEST_DR_ID, simulator.now(), old_primary_id="a", old_standby_id="b"
        )
        [closed] = await loop.executor.reconcile()
        assert closed.status is IntentStatus.FAILED
        assert "before the failover request was sent" in (closed.detail or "")

    run_loop(body)
    assert not journal.load_state(TEST_PAIR_NAME).latched and simulator.failover_calls() == []


def test_orphan_latch_is_lifted_at_startup(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """A FAILOVER decision recorded without an intent (a crash in between) does not leave the pair latched."""

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        await loop.until_failover()
        assert journal.load_state(TEST_PAIR_NAME).latched
        await loop.executor.reconcile()
        assert not journal.load_state(TEST_PAIR_NAME).latched
        evaluation, _ = await loop.round()
        assert evaluation.decision.action is Action.FAILOVER

    run_loop(body)


def test_long_outage_after_fresh_sync_fails_over(journal: Journal) -> None:
    """Ten simulated minutes of outage right after a sync: the expected loss is small, so it fails over."""
    sim = make_test_simulator(**SCALED)
    policy = replace(AUTO, min_outage_seconds=600, max_data_loss_seconds=60, probe_interval_seconds=100)

    async def body(loop: Loop) -> None:
        await loop.round(policy)
        fail_production(sim)
        evaluation, obs = await loop.until_failover(policy)
        d = evaluation.decision
        assert d.expected_data_loss_seconds is not None and d.expected_data_loss_seconds <= 60
        assert obs.last_sync is not None and (obs.observed_at - obs.last_sync).total_seconds() > 600

    on_own_simulator(sim, journal, body)


def test_stale_sync_blocks_with_reason_and_numbers(journal: Journal) -> None:
    """Sync stalled 10 simulated minutes before production fails: blocked, data_loss_exceeded with numbers."""
    sim = make_test_simulator(**SCALED)
    policy = replace(AUTO, failure_threshold=3, min_outage_seconds=60, max_data_loss_seconds=300)
    policy = replace(policy, probe_interval_seconds=30)

    async def body(loop: Loop) -> None:
        sim.stall_sync(TEST_DR_ID)
        await loop.clock.sleep(600)
        fail_production(sim)
        for _ in range(10):
            evaluation, _obs = await loop.round(policy)
            if evaluation.decision.state is State.BLOCKED:
                break
            await loop.clock.sleep(policy.probe_interval_seconds)
        d = evaluation.decision
        assert (d.state, d.action, d.rule) == (State.BLOCKED, Action.NONE, ReasonCode.DATA_LOSS_EXCEEDED)
        reason = d.reason(ReasonCode.DATA_LOSS_EXCEEDED)
        assert reason is not None and reason.values["expected_data_loss_seconds"] > 600
        assert reason.values["max_data_loss_seconds"] == 300

    on_own_simulator(sim, journal, body)
    assert sim.failover_calls() == []


def test_fresh_unsent_intent_is_left_to_its_maker(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """Outside start-up, an unsent intent younger than stale_unsent_seconds is left alone; older, closed."""

    async def body(loop: Loop) -> None:
        made = journal.create_intent(
            TEST_PAIR_NAME, TEST_DR_ID, simulator.now(), old_primary_id="a", old_standby_id="b"
        )
        assert (await loop.executor.follow(made)).status is IntentStatus.INTENDED
        loop.executor.timing = replace(loop.executor.timing, stale_unsent_seconds=0)
        assert (await loop.executor.follow(made)).status is IntentStatus.FAILED

    run_loop(body)
    assert simulator.requests("switch_failover_disaster") == []


def test_intent_closed_by_another_process_before_sending_is_not_sent(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """If another process closes the intent while its veto hook runs, the executor does not POST."""

    def closed_elsewhere(intent: FailoverIntent) -> None:
        with Journal(journal.path) as other:
            other.finish_intent(
                intent.id, IntentStatus.FAILED, simulator.now(), "closed by reconcile", release_latch=True
            )

    async def body(loop: Loop) -> None:
        loop.executor.before_submit = closed_elsewhere
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.FAILED and intent.sent_at is None

    run_loop(body)
    assert simulator.requests("switch_failover_disaster") == []


def test_forced_failover_reads_the_roles_when_the_observation_lacks_them(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """A forced manual failover on an observation without the DR task reads the roles, tracks to the end."""
    old_primary = simulator.pairs[TEST_DR_ID].primary.id

    async def body(loop: Loop) -> None:
        obs = replace(await loop.observe(), dr_task=None)
        outcome = await loop.executor.manual_failover(obs, AUTO, force=True, requested_by="alice")
        assert outcome.intent is not None and outcome.intent.old_primary_id == old_primary
        assert outcome.intent.status is IntentStatus.COMPLETED and outcome.exit_code == 0

    run_loop(body)
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_tracking_survives_a_flaky_api(run_loop: Callable[[Body], None], simulator: Simulator) -> None:
    """503s and resets on the DR detail while tracking are waited out; the failover still completes once."""

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        evaluation, obs = await loop.until_failover()

        def flaky_after_sending(step: Step, _intent: FailoverIntent) -> None:
            if step is Step.SENT:  # after the pre-POST re-read, which must see the API to go ahead
                simulator.inject(kind="error", operation="show_disaster_detail", status=503, count=6)
                simulator.inject(kind="reset", operation="list_cluster_details", count=2)

        loop.executor.on_step = flaky_after_sending
        intent = await loop.executor.execute(evaluation.decision, obs)
        assert intent.status is IntentStatus.COMPLETED, intent.detail

    run_loop(body)
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_degraded_production_is_reported_not_down(
    run_loop: Callable[[Body], None], simulator: Simulator
) -> None:
    """A DEGRADED production (a node down, still AVAILABLE) is healthy with a degraded reason; no failover."""

    async def body(loop: Loop) -> None:
        simulator.set_sub_status(simulator.pairs[TEST_DR_ID].primary.id, "DEGRADED | UNBALANCED")
        for _ in range(5):
            evaluation, _ = await loop.round()
            assert evaluation.decision.state is State.HEALTHY
            assert ReasonCode.DEGRADED in evaluation.decision.codes

    run_loop(body)
    assert simulator.failover_calls() == []


def test_reconcile_follows_every_open_intent_side_by_side(journal: Journal) -> None:
    """At start-up, a slow switch on one pair does not hold back another pair's completion."""
    sim = make_test_simulator(time_scale=100, failover_seconds=100_000)  # sales-dw never settles in time
    quick = sim.add_pair(TEST_PROJECT_ID, "quick-dw", failover_seconds=1, sync_interval_seconds=2)
    pairs = [(TEST_PAIR_NAME, sim.pairs[TEST_DR_ID]), ("quick-dw", quick)]
    timing = ExecutorTiming(
        poll_interval_seconds=1, track_timeout_seconds=300, settle_seconds=5, unknown_grace_seconds=3
    )

    async def body(loop: Loop) -> list[FailoverIntent]:
        for name, pair in pairs:  # two failovers submitted by a process that then died
            intent = journal.create_intent(
                name,
                pair.disaster_recovery_id,
                sim.now(),
                old_primary_id=pair.primary.id,
                old_standby_id=pair.standby.id,
            )
            journal.mark_sent(intent.id, sim.now())
            request_id = await loop.client.failover(pair.disaster_recovery_id)
            journal.mark_submitted(intent.id, sim.now(), request_id=request_id)
        return await loop.executor.reconcile()

    async def go() -> list[FailoverIntent]:
        with SimulatorServer(sim) as server:
            async with Loop.build(server.url, journal, SimClock(sim), timing=timing) as loop:
                return await body(loop)

    slow, fast = asyncio.run(go())
    assert (slow.pair, fast.pair) == (TEST_PAIR_NAME, "quick-dw")
    assert fast.status is IntentStatus.COMPLETED and slow.status is IntentStatus.UNKNOWN
    assert fast.finished_at is not None and slow.submitted_at is not None
    gave_up = slow.submitted_at + timedelta(seconds=timing.track_timeout_seconds)
    assert fast.finished_at < gave_up  # followed at once, not after the slow one's tracking gave up
    assert len(sim.failover_calls()) == 2


def test_a_throttled_failover_is_decided_again_not_latched(
    run_loop: Callable[[Body], None], simulator: Simulator, journal: Journal
) -> None:
    """A 429 on the failover POST: that intent fails unlatched, the next rounds decide FAILOVER again,
    and the second POST completes: one failover accepted, two requests."""
    outcomes: list[FailoverIntent] = []

    async def body(loop: Loop) -> None:
        fail_production(simulator)
        simulator.inject(kind="error", operation="switch_failover_disaster", status=429, count=1)
        for _ in range(2):
            evaluation, obs = await loop.until_failover()
            outcomes.append(await loop.executor.execute(evaluation.decision, obs))

    run_loop(body)
    throttled, done = outcomes
    assert throttled.status is IntentStatus.FAILED and "throttled" in (throttled.detail or "")
    assert done.status is IntentStatus.COMPLETED
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert len(simulator.requests("switch_failover_disaster")) == 2
    assert journal.load_state(TEST_PAIR_NAME).latched  # by the completed one
