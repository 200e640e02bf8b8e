"""The global brake: truth table (one axis per factor) and Hypothesis properties of the round's fold."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.policy.builders import CONFIRM, FAST, T0, at, observation, run
from watchdog.brake import brake_after, brake_guard, recent
from watchdog.model import Action, Brake, Mode, PairState, ReasonCode, State, Verdict
from watchdog.policy import Evaluation, evaluate, evaluate_manual

WINDOW = 3600.0
DECIDED_AT = at(CONFIRM[-1][0])  # the round on which FAST's window closes


def decide(brake: Brake | None, mode: Mode = Mode.AUTO, **obs: object) -> Evaluation:
    """The confirming round of CONFIRM, with `brake` given to that round only."""
    policy = replace(FAST, mode=mode)
    before = run(CONFIRM[:-1], policy)[-1].next_state
    offset, verdict = CONFIRM[-1]
    return evaluate(observation(at(offset), verdict, **obs), before, policy, at(offset), brake)  # type: ignore[arg-type]


def brake_with(count: int, *, age: float = 60.0, tripped: bool = False, limit: int = 3) -> Brake:
    """`count` automatic failovers, each `age` seconds before the decision."""
    times = tuple(DECIDED_AT - timedelta(seconds=age) for _ in range(count))
    return Brake(limit, WINDOW, times, DECIDED_AT - timedelta(hours=5) if tripped else None)


@pytest.mark.parametrize(
    ("count", "age", "tripped", "mode", "expected"),
    [
        (0, 60, False, Mode.AUTO, (State.FAILOVER_WARRANTED, Action.FAILOVER)),
        (2, 60, False, Mode.AUTO, (State.FAILOVER_WARRANTED, Action.FAILOVER)),  # the 3rd of 3 may go
        (3, 60, False, Mode.AUTO, (State.BLOCKED, Action.NONE)),  # the 4th is braked
        (3, WINDOW - 1, False, Mode.AUTO, (State.BLOCKED, Action.NONE)),  # still inside the window
        (3, WINDOW, False, Mode.AUTO, (State.FAILOVER_WARRANTED, Action.FAILOVER)),  # aged out
        (3, -600, False, Mode.AUTO, (State.BLOCKED, Action.NONE)),  # "in the future": a clock stepped back
        (0, 60, True, Mode.AUTO, (State.BLOCKED, Action.NONE)),  # engaged: sticky until the reset
        (3, 60, True, Mode.RECOMMEND, (State.FAILOVER_WARRANTED, Action.RECOMMEND)),  # never acts: not braked
        (3, 60, True, Mode.OBSERVE, (State.FAILOVER_WARRANTED, Action.NONE)),
    ],
)
def test_brake_axis(
    count: int, age: float, tripped: bool, mode: Mode, expected: tuple[State, Action]
) -> None:
    """At most max automatic failovers in the window; engaged, it blocks whatever the window says."""
    d = decide(brake_with(count, age=age, tripped=tripped), mode).decision
    assert (d.state, d.action) == expected, d.reasons
    assert (d.rule is ReasonCode.GLOBAL_BRAKE) == (d.state is State.BLOCKED)


def test_no_brake_given_decides_as_before() -> None:
    """A replay (no fleet) passes no brake: the decision is the one without it."""
    assert decide(None).decision.action is Action.FAILOVER


def test_the_brake_is_reported_only_when_it_alone_stops_the_failover() -> None:
    """A pair blocked by its own guard (data loss) does not name the brake, so it cannot trip it."""
    d = decide(brake_with(3), last_sync=at(-10_000)).decision
    assert d.rule is ReasonCode.DATA_LOSS_EXCEEDED and ReasonCode.GLOBAL_BRAKE not in d.codes


def test_the_reason_carries_its_numbers_and_the_reset_command() -> None:
    reason = brake_guard(brake_with(3), DECIDED_AT)
    assert reason is not None and reason.values["failovers_in_window"] == 3
    assert reason.values["max_automatic_failovers"] == 3 and "dr-watchdog brake reset" in reason.message


def test_a_manual_failover_is_neither_braked_nor_counted() -> None:
    """The operator's own failover goes through an engaged brake and does not count toward it."""
    brake = brake_with(0, tripped=True)
    obs = observation(DECIDED_AT, Verdict.DOWN)
    ev = evaluate_manual(obs, PairState(), FAST, DECIDED_AT)
    assert ev.decision.action is Action.FAILOVER
    assert brake_after(brake, ev.decision) == brake


def test_the_first_braked_failover_trips_the_brake() -> None:
    brake = brake_with(3)
    d = decide(brake).decision
    assert brake_after(brake, d) == replace(brake, tripped_at=d.at)


# ---- properties of one round's fold over the fleet ---------------------------------------------------
@given(
    limit=st.integers(min_value=1, max_value=6),
    before=st.lists(st.floats(min_value=-2 * WINDOW, max_value=0), max_size=8),
    tripped=st.booleans(),
    pairs=st.lists(st.sampled_from(["down", "up", "data_loss"]), min_size=1, max_size=15),
)
def test_a_round_never_exceeds_the_limit_and_an_engaged_brake_never_fails_over(
    limit: int, before: list[float], tripped: bool, pairs: list[str]
) -> None:
    """Fold the brake through a fleet's round as the rounds do: the FAILOVERs decided never take the
    window's count past the limit, none is decided while engaged, and the brake trips exactly when a
    confirmed pair, free of its own guards, was left unfailed by it."""
    brake = Brake(limit, WINDOW, tuple(DECIDED_AT + timedelta(seconds=s) for s in before), None)
    if tripped:
        brake = replace(brake, tripped_at=T0)
    start, failovers, braked = brake, 0, 0
    for kind in pairs:
        obs: dict[str, object] = {"last_sync": at(-10_000)} if kind == "data_loss" else {}
        if kind == "up":
            ev = evaluate(observation(DECIDED_AT, Verdict.UP), PairState(), FAST, DECIDED_AT, brake)
        else:
            ev = decide(brake, Mode.AUTO, **obs)
        failovers += ev.decision.action is Action.FAILOVER
        braked += ev.decision.rule is ReasonCode.GLOBAL_BRAKE
        brake = brake_after(brake, ev.decision) or brake
    allowed = 0 if tripped else max(0, limit - recent(start, DECIDED_AT))
    assert failovers == min(allowed, pairs.count("down"))
    assert recent(brake, DECIDED_AT) <= max(limit, recent(start, DECIDED_AT))
    assert braked == pairs.count("down") - failovers
    assert (brake.tripped_at is not None) == (tripped or braked > 0)


# ---- the HA leadership as a policy input -----------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (Mode.AUTO, (State.FAILOVER_WARRANTED, Action.NONE, ReasonCode.NOT_LEADER)),
        (Mode.RECOMMEND, (State.FAILOVER_WARRANTED, Action.RECOMMEND, ReasonCode.MODE_RECOMMEND)),
        (Mode.OBSERVE, (State.FAILOVER_WARRANTED, Action.NONE, ReasonCode.MODE_OBSERVE)),
    ],
)
def test_a_follower_records_the_warranted_failover_and_never_acts(
    mode: Mode, expected: tuple[State, Action, ReasonCode]
) -> None:
    """Not the leader: auto mode decides failover_warranted with not_leader, no latch; the other modes
    decide as they always do."""
    policy = replace(FAST, mode=mode)
    before = run(CONFIRM[:-1], policy)[-1].next_state
    offset, verdict = CONFIRM[-1]
    ev = evaluate(observation(at(offset), verdict), before, policy, at(offset), None, leader=False)
    assert (ev.decision.state, ev.decision.action, ev.decision.rule) == expected
    assert not ev.next_state.latched


@given(verdicts=st.lists(st.sampled_from(list(Verdict)), min_size=1, max_size=30))
def test_a_follower_never_decides_failover(verdicts: list[Verdict]) -> None:
    """Whatever production does, an instance without the leadership never decides FAILOVER."""
    state = PairState()
    for i, verdict in enumerate(verdicts):
        when = at(10.0 * i)
        ev = evaluate(observation(when, verdict), state, FAST, when, None, leader=False)
        assert ev.decision.action is not Action.FAILOVER
        state = ev.next_state
