"""Held pairs page: whenever production is confirmed down and the watchdog will not fail over, the
metrics say why (`failover_blocked{reason}`), from the real policy's decisions; a reason's series
exists only while it holds, so the number of series per pair at steady state never moves."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client import CollectorRegistry

from tests.unit.policy.builders import CONFIRM, FAST, PAIR, at, run
from watchdog.metrics import Metrics
from watchdog.model import Decision, IntentStatus, Mode, PairState, Pause, State, Verdict
from watchdog.report import decision_metrics

D, U = Verdict.DOWN, Verdict.UP
HOLDS = {
    "latched": PairState(latched=True),
    "paused": PairState(pause=Pause("maint", "ops", at(-10), None)),
    "intent_open": PairState(open_intent_id=7, open_intent_status=IntentStatus.SUBMITTED),
}


def metrics() -> Metrics:
    return Metrics(
        CollectorRegistry(),
        pairs=[PAIR],
        process_collectors=False,
    )


def blocked(m: Metrics) -> dict[str, float]:
    """The pair's failover_blocked series: reason -> value."""
    return {
        s.labels["reason"]: s.value
        for fam in m.registry.collect()
        if fam.name == "dr_watchdog_failover_blocked"
        for s in fam.samples
        if s.labels["pair"] == PAIR
    }


def raised(m: Metrics) -> set[str]:
    return {reason for reason, v in blocked(m).items() if v == 1}


def report(
    m: Metrics, rounds: list[tuple[float, Verdict]], state: PairState, mode: Mode = Mode.AUTO
) -> Decision:
    decisions = [ev.decision for ev in run(rounds, replace(FAST, mode=mode), state)]
    for d in decisions:
        decision_metrics(m, d)
    return decisions[-1]


@pytest.mark.parametrize("hold", sorted(HOLDS))
def test_a_held_pair_with_production_confirmed_down_says_why(hold: str) -> None:
    """Paused, latched or with an intent open: once the outage is confirmed, failover_blocked{reason}
    names the hold (0 while still confirming); a healthy round clears it."""
    m = metrics()
    report(m, CONFIRM[:2], HOLDS[hold])
    assert raised(m) == set()  # 2 of 3 DOWN rounds: not confirmed yet
    report(m, CONFIRM, HOLDS[hold])
    assert raised(m) == {hold}
    report(m, [*CONFIRM, (30.0, U)], HOLDS[hold])
    assert raised(m) == set()


@pytest.mark.parametrize(
    ("mode", "reason"), [(Mode.OBSERVE, "mode_observe"), (Mode.RECOMMEND, "mode_recommend")]
)
def test_a_warranted_failover_the_mode_does_not_carry_out_says_why(mode: Mode, reason: str) -> None:
    """observe and recommend: the confirmed outage is warranted, the mode is why nothing is done."""
    m = metrics()
    report(m, CONFIRM, PairState(), mode)
    assert raised(m) == {reason}


def test_auto_failing_over_and_guards_raise_what_they_did_before() -> None:
    """auto with every guard passing acts (nothing raised); a guard raises itself only."""
    m = metrics()
    report(m, CONFIRM, PairState())
    assert raised(m) == set()
    stale = [ev.decision for ev in run(CONFIRM, FAST, PairState(), last_sync=at(-5000))]
    decision_metrics(m, stale[-1])
    assert raised(m) == {"data_loss_exceeded"}


def test_held_series_exist_only_while_they_hold() -> None:
    """No failover_blocked series before any outage; each hold and each non-acting mode raises its
    series on a confirmed outage only, and a healthy round removes it again, so the per-pair sample
    count at steady state is the same before and after every kind of hold."""
    m = metrics()
    assert blocked(m) == {}
    m.set_mode(PAIR, "auto")  # as the daemon does at start
    report(m, [(0.0, U)], PairState())
    before = per_pair(m)
    for hold in HOLDS.values():
        report(m, CONFIRM, hold)
        assert len(raised(m)) == 1 and set(blocked(m).values()) == {1.0}
        report(m, [*CONFIRM, (30.0, U)], hold)
        assert blocked(m) == {}
    for mode in (Mode.OBSERVE, Mode.RECOMMEND):
        report(m, CONFIRM, PairState(), mode)
        assert raised(m) == {f"mode_{mode.value}"}
        report(m, [*CONFIRM, (30.0, U)], PairState(), Mode.AUTO)
    assert per_pair(m) == before and len(modes(m)) == 1


def modes(m: Metrics) -> dict[str, float]:
    return {
        s.labels["mode"]: s.value
        for fam in m.registry.collect()
        if fam.name == "dr_watchdog_mode"
        for s in fam.samples
        if s.labels["pair"] == PAIR
    }


def test_observe_records_what_auto_would_do_and_its_mode() -> None:
    """Observe: decision{failover_warranted} is 1 (what auto mode would have done) and the pair's one
    mode sample says observe (the paging alerts filter on it); a new mode replaces the sample."""
    m = metrics()
    d = report(m, CONFIRM, PairState(), Mode.OBSERVE)
    warranted = m.registry.get_sample_value(
        "dr_watchdog_decision", {"pair": PAIR, "decision": "failover_warranted"}
    )
    assert d.state is State.FAILOVER_WARRANTED and warranted == 1
    assert modes(m) == {"observe": 1.0}
    report(m, CONFIRM, PairState(), Mode.RECOMMEND)
    assert modes(m) == {"recommend": 1.0}
    with pytest.raises(ValueError, match="unknown mode 'manual'"):
        m.set_mode(PAIR, "manual")


def per_pair(m: Metrics) -> int:
    return sum(1 for fam in m.registry.collect() for s in fam.samples if s.labels.get("pair") == PAIR)


@pytest.mark.parametrize(
    ("newest", "state"),
    [(IntentStatus.COMPLETED, State.FAILED_OVER), (IntentStatus.FAILED, State.FAILOVER_FAILED)],
)
def test_the_latched_gauge_is_1_for_a_failed_failover_too(newest: IntentStatus, state: State) -> None:
    """A pair latched after a failover the API refused (failover_failed) is latched until `ack` like
    one that failed over: latched{pair} says 1 for both (it said 0 for failover_failed)."""
    m = metrics()
    held = PairState(latched=True, latched_at=at(-100), last_intent_status=newest)
    decision = report(m, [(0, U)], held)
    assert decision.state is state
    assert m.registry.get_sample_value("dr_watchdog_latched", {"pair": PAIR}) == 1
