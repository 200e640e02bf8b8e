"""Export and replay: recorded observations replayed through the policy reproduce the recorded decisions."""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.unit.policy.builders import FAST, PAIR, at, observation
from watchdog import codec
from watchdog.journal import Journal
from watchdog.model import Action, Decision, Mode, Observation, PairState, Policy, ReasonCode, State, Verdict
from watchdog.policy import evaluate
from watchdog.replay import (
    TimelineError,
    export_observations,
    format_decision,
    load_timeline,
    print_replay,
    print_summary,
    read_timeline,
    replay,
    summarize,
    verify_recorded,
)

Event = tuple[float, Verdict, float, str]  # gap seconds, verdict, sync age, operator action


def record(journal: Journal, events: list[Event], policy: Policy) -> None:
    """The daemon's loop: load state, decide, record with the input state; operators act in between."""
    now = at(0)
    for gap, verdict, sync_age, operator in events:
        now += timedelta(seconds=gap)
        if operator == "pause":
            journal.pause(PAIR, "maintenance", "ops", now, now + timedelta(seconds=30))
        elif operator == "ack":
            journal.ack(PAIR, "ops", now)
        obs = observation(now, verdict, last_sync=now - timedelta(seconds=sync_age))
        state = journal.load_state(PAIR, now)
        ev = evaluate(obs, state, policy, now)
        journal.record(obs, ev.decision, ev.next_state, state_before=state)


events = st.lists(
    st.tuples(
        st.floats(0.5, 90),
        st.sampled_from(list(Verdict)),
        st.sampled_from([5.0, 120.0, 5000.0]),
        st.just("none"),
    ),
    min_size=1,
    max_size=25,
)
policies = st.builds(
    lambda mode, thr, win: replace(FAST, mode=mode, failure_threshold=thr, min_outage_seconds=win),
    st.sampled_from(list(Mode)),
    st.integers(1, 4),
    st.sampled_from([0.0, 20.0, 100.0]),
)


@settings(max_examples=60, deadline=None)
@given(events, policies)
def test_replay_of_exported_observations_reproduces_recorded_decisions(
    evs: list[Event], policy: Policy
) -> None:
    """Export the journal's observations, replay them with the same policy: the same decisions, in order."""
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.db") as journal:
        record(journal, evs, policy)
        out = io.StringIO()
        assert export_observations(journal, out) == len(evs)
        steps = replay(read_timeline(out.getvalue().splitlines()), policy)
        recorded = [codec.decision_to_dict(r.decision) for r in journal.decisions()]
    assert [codec.decision_to_dict(s.decision) for s in steps] == recorded


def record_steady(
    journal: Journal, evs: list[tuple[float, Verdict, float]], policy: Policy
) -> list[Observation]:
    """The daemon's loop, the last sync at fixed times (so rounds repeat); every round's observation."""
    now, seen = at(0), []
    for gap, verdict, synced in evs:
        now += timedelta(seconds=gap)
        obs = observation(now, verdict, last_sync=at(synced), task_status="running")
        state = journal.load_state(PAIR, now)
        ev = evaluate(obs, state, policy, now)
        journal.record(obs, ev.decision, ev.next_state, state_before=state)
        seen.append(obs)
    return seen


steady_events = st.lists(
    st.tuples(
        st.sampled_from([10.0, 10.0, 37.0]),
        st.sampled_from([*Verdict, Verdict.DOWN, Verdict.DOWN]),  # more DOWN: outages that go on
        st.sampled_from([-100.0, -9000.0]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(steady_events, policies, policies)
def test_runs_of_identical_rounds_replay_as_every_round_would(
    evs: list[tuple[float, Verdict, float]], recorded_with: Policy, backtested: Policy
) -> None:
    """A run of identical rounds is journaled once; replaying the export under any policy decides, at
    each recorded row, what replaying every round would, and fails over as often.

    A run of DOWN rounds (a confirmed outage, unchanged) is exported as every round it stands for,
    its times spread evenly: replayed under the recording policy, each row decides exactly as
    recorded; under another, each decides the same (state, action, reasons, count), though the
    numbers that read the replayed times (a latch's time, the cooldown left) may differ."""
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.db") as journal:
        every = record_steady(journal, evs, recorded_with)
        rows = journal.decisions()
        out = io.StringIO()
        exported = export_observations(journal, out)
        timeline = list(read_timeline(out.getvalue().splitlines()))
    spread = sum(r.repeats for r in rows if r.decision.verdict is Verdict.DOWN)
    event(f"a run of DOWN rounds: {spread > 0}")
    assert exported == len(rows) + spread and sum(r.rounds for r in rows) == len(evs)
    heads = {r.observation.observed_at for r in rows}
    recorded = [codec.decision_to_dict(r.decision) for r in rows]
    again = [s for s in replay(timeline, recorded_with) if s.observation.observed_at in heads]
    assert [codec.decision_to_dict(s.decision) for s in again] == recorded
    full = [s for s in replay(every, backtested) if s.observation.observed_at in heads]
    collapsed = [s for s in replay(timeline, backtested) if s.observation.observed_at in heads]
    if spread == 0:
        assert [s.decision for s in collapsed] == [s.decision for s in full]
    assert [outcome(s.decision) for s in collapsed] == [outcome(s.decision) for s in full]
    failovers = [s for s in replay(every, backtested) if s.decision.action is Action.FAILOVER]
    assert len(failovers) == len(
        [s for s in replay(timeline, backtested) if s.decision.action is Action.FAILOVER]
    )


def outcome(d: Decision) -> tuple[object, ...]:
    """What a decision decided, without the numbers that read the time it was replayed at."""
    return (d.state, d.action, d.codes, d.consecutive_down, d.first_down_at)


operator_events = st.lists(
    st.tuples(
        st.floats(0.5, 90),
        st.sampled_from(list(Verdict)),
        st.sampled_from([5.0, 5000.0]),
        st.sampled_from(["none", "none", "pause", "ack"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operator_events, policies)
def test_recorded_inputs_reproduce_every_decision(evs: list[Event], policy: Policy) -> None:
    """With pauses and acks between rounds, each decision is reproduced from its own recorded inputs."""
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.db") as journal:
        record(journal, evs, policy)
        checked, mismatches = verify_recorded(journal)
    assert (checked, mismatches) == (len(evs), [])


def test_backtest_a_stricter_policy(tmp_path: Path) -> None:
    """Replaying history with a smaller data-loss limit turns the recorded failover into a blocked one."""
    with Journal(tmp_path / "j.db") as journal:
        record(journal, [(10, Verdict.DOWN, 300, "none")] * 3, FAST)
        assert journal.latest_decision(PAIR).action is Action.FAILOVER  # type: ignore[union-attr]
        timeline = tmp_path / "timeline.jsonl"
        with timeline.open("w") as fh:
            export_observations(journal, fh)
    stricter = replace(FAST, max_data_loss_seconds=60)
    last = replay(load_timeline(timeline), lambda _pair: stricter)[-1].decision
    assert (last.state, last.rule) == (State.BLOCKED, ReasonCode.DATA_LOSS_EXCEEDED)
    out = io.StringIO()
    print_replay(replay(load_timeline(timeline), stricter), out)
    line = out.getvalue().splitlines()[-1]
    assert "blocked action=none rule=data_loss_exceeded: expected data loss 280 s > limit 60 s" in line


def test_replay_applies_each_pairs_own_policy() -> None:
    """Pairs interleaved in one timeline are decided apart, each with the policy its name selects."""
    timeline = [
        replace(observation(at(offset), Verdict.DOWN, last_sync=at(-300)), pair=pair)
        for offset in (0, 10, 20)
        for pair in (PAIR, "strict-dw")
    ]
    strict = replace(FAST, max_data_loss_seconds=60)
    steps = replay(timeline, lambda pair: strict if pair == "strict-dw" else FAST)
    last = {s.decision.pair: s.decision for s in steps}
    assert last[PAIR].action is Action.FAILOVER and last[PAIR].policy == FAST
    assert (last["strict-dw"].state, last["strict-dw"].rule) == (State.BLOCKED, ReasonCode.DATA_LOSS_EXCEEDED)
    assert [s.decision.consecutive_down for s in steps] == [1, 1, 2, 2, 3, 3]


def test_export_filters_by_pair_and_time(tmp_path: Path) -> None:
    """export can be limited to one pair and to observations since a time."""
    with Journal(tmp_path / "j.db") as journal:
        record(journal, [(10, Verdict.UP, 5, "none")] * 4, FAST)
        other = replace(observation(at(100), Verdict.UP), pair="other")
        ev = evaluate(other, journal.load_state("other"), FAST, at(100))
        journal.record(other, ev.decision, ev.next_state)
        assert export_observations(journal, io.StringIO(), pair=PAIR) == 4
        assert export_observations(journal, io.StringIO(), since=at(30)) == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "t.jsonl:2: "),
        ("[1, 2]", "t.jsonl:2: expected a JSON object"),
        ('{"pair": "p"}', "t.jsonl:2: disaster_recovery_id: required"),
    ],
)
def test_bad_timeline_line_names_line_and_field(line: str, message: str) -> None:
    """A bad line stops the replay with the file, the line number and the field."""
    good = codec.dumps(codec.observation_to_dict(observation(at(0))))
    with pytest.raises(TimelineError, match=message):
        list(read_timeline([good, line], "t.jsonl"))


def test_comments_and_blank_lines_are_skipped() -> None:
    """Operators may annotate a timeline: '#' lines and blank lines are ignored."""
    good = codec.dumps(codec.observation_to_dict(observation(at(0))))
    assert len(list(read_timeline(["# outage of 1 March", "", good]))) == 1


def test_format_decision_shows_state_action_and_numbers() -> None:
    """The printed line carries the time, pair, state, action, rule and each reason with its numbers."""
    d = evaluate(observation(at(0)), PairState(), FAST, at(0)).decision
    head = f"{at(0).isoformat()} {PAIR} suspect action=none rule=confirming: "
    expected = head + "confirming: 1/3 DOWN rounds, 0/20 s;"
    assert format_decision(d).startswith(expected)


def test_replay_ends_with_a_summary() -> None:
    """The summary counts decisions per state, names the first warranted failover (time and pair) and
    counts each guard that blocked; the same in text and as the last JSON line."""
    timeline = [
        replace(observation(at(t), verdict, last_sync=at(synced)), pair=pair)
        for t, verdict in ((0, Verdict.UP), (10, Verdict.DOWN), (20, Verdict.DOWN), (30, Verdict.DOWN))
        for pair, synced in ((PAIR, -5.0), ("stale-dw", -5000.0))
    ]
    steps = replay(timeline, FAST)
    summary = summarize(steps)
    assert summary.decisions == 8
    assert summary.by_state == {"healthy": 2, "suspect": 4, "failover_warranted": 1, "blocked": 1}
    assert summary.first_warranted is not None
    assert (summary.first_warranted.at, summary.first_warranted.pair) == (at(30), PAIR)
    assert summary.blocked_by == {"data_loss_exceeded": 1}
    text = io.StringIO()
    print_summary(summary, text)
    assert text.getvalue().splitlines() == [
        "summary: 8 decision(s): healthy 2, suspect 4, failover_warranted 1, blocked 1",
        f"  first warranted failover: {at(30).isoformat()} {PAIR} (action failover)",
        "  blocked by: data_loss_exceeded 1",
    ]
    as_json = io.StringIO()
    print_summary(summary, as_json, as_json=True)
    assert json.loads(as_json.getvalue())["summary"] == {
        "decisions": 8,
        "by_state": summary.by_state,
        "first_warranted_failover": {"at": at(30).isoformat(), "pair": PAIR, "action": "failover"},
        "blocked_by": {"data_loss_exceeded": 1},
    }


def test_a_quiet_replay_says_never() -> None:
    """No warranted failover and nothing blocked: the summary says so rather than staying silent."""
    summary = summarize(replay([observation(at(0), Verdict.UP)], FAST))
    assert summary.lines()[1:] == ["  first warranted failover: never", "  blocked by: never"]
