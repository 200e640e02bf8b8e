"""The JSON codec of observations and decisions: lossless round trips, strict decoding naming the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.policy.builders import FAST, at, observation
from watchdog import codec
from watchdog.model import (
    ClusterView,
    DrTaskView,
    Observation,
    PairState,
    Pause,
    Signal,
    SignalSource,
    Verdict,
)
from watchdog.policy import evaluate

times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))
text = st.text(max_size=20)
signals = st.builds(
    Signal, st.sampled_from(list(SignalSource)), st.sampled_from(list(Verdict)), text, times, st.none() | text
)
clusters = st.builds(
    ClusterView,
    id=text,
    name=text,
    status=text,
    sub_status=st.lists(text, max_size=3).map(tuple),
    task_status=st.none() | text,
    action_progress=st.dictionaries(text, text, max_size=2),
    version=st.none() | text,
    failed_reasons=st.none() | text,
)
tasks = st.builds(DrTaskView, text, text, text, text, text, st.none() | text, st.none() | text)
observations = st.builds(
    Observation,
    pair=text,
    disaster_recovery_id=text,
    observed_at=times,
    signals=st.lists(signals, max_size=4).map(tuple),
    dr_task=st.none() | tasks,
    production=st.none() | clusters,
    dr_cluster=st.none() | clusters,
    last_sync=st.none() | times,
    last_sync_known=st.booleans(),
    rpo_seconds=st.none() | st.floats(0, 1e6),
    last_sync_source=st.none() | text,
    auth_error=st.none() | text,
    late_seconds=st.none() | st.floats(0, 1e6),
)


@settings(max_examples=200, deadline=None)
@given(observations)
def test_observation_round_trip(obs: Observation) -> None:
    """Any observation survives JSON and back unchanged."""
    back = codec.observation_from_dict(codec.loads(codec.dumps(codec.observation_to_dict(obs))))
    assert back == obs


@pytest.mark.parametrize("field", ["last_sync_source", "auth_error"])
def test_an_observation_from_before_a_new_field_loads(field: str) -> None:
    """Journals written before `last_sync_source` or `auth_error` existed load, with the field None."""
    data = codec.observation_to_dict(observation(at(0)))
    del data[field]
    assert getattr(codec.observation_from_dict(data), field) is None


def test_decision_and_state_round_trip() -> None:
    """A decision (with NaN-free numbers) and a pair state survive JSON and back."""
    ev = evaluate(observation(at(0)), PairState(), FAST, at(0))
    d = codec.decision_to_dict(ev.decision)
    assert codec.decision_to_dict(codec.decision_from_dict(codec.loads(codec.dumps(d)))) == d
    state = PairState(consecutive_down=2, first_down_at=at(0), cooldown_until=at(0) + timedelta(hours=1))
    assert codec.pair_state_from_dict(codec.pair_state_to_dict(state)) == state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"observed_at": "yesterday"}, "observed_at: not an ISO 8601 time"),
        ({"observed_at": "2026-01-01T00:00:00"}, "observed_at: time without a zone"),
        ({"signals": "none"}, "signals: expected list"),
        ({"pair": 7}, "pair: expected str"),
        ({"last_sync_known": "yes"}, "last_sync_known: expected bool"),
    ],
)
def test_strict_decoding_names_the_field(change: dict[str, object], message: str) -> None:
    """A wrong value is a ValueError naming the field, never a half-read observation."""
    data = {**codec.observation_to_dict(observation(at(0))), **change}
    with pytest.raises(ValueError, match=message):
        codec.observation_from_dict(data)


def test_unknown_signal_verdict_is_an_error() -> None:
    """An enum value the program does not know is refused, naming the field."""
    data = codec.observation_to_dict(observation(at(0)))
    data["signals"][0]["verdict"] = "sideways"
    with pytest.raises(ValueError, match="verdict: unknown value 'sideways'"):
        codec.observation_from_dict(data)


def test_policies_recorded_before_the_age_bound_decode_without_it() -> None:
    """A recorded policy without max_observation_age_seconds decodes as no bound (replays exactly)."""
    data = codec.policy_to_dict(FAST)
    del data["max_observation_age_seconds"]
    assert codec.policy_from_dict(data).max_observation_age_seconds is None


@settings(max_examples=200, deadline=None)
@given(observations)
def test_the_journals_compiled_encoding_decodes_to_the_same_observation(obs: Observation) -> None:
    """The journal's bodies (pydantic-core's serializer, for speed) read back through the same strict
    decoder as the same observation, and as the same JSON object `observation_to_dict` gives."""
    body = codec.observation_json(obs)
    assert codec.observation_from_dict(codec.loads(body)) == obs
    again = codec.observation_to_dict(codec.observation_from_dict(codec.loads(body)))
    assert again == codec.observation_to_dict(obs)


def test_the_compiled_encoding_of_decisions_and_states_decodes_the_same() -> None:
    """Decisions (a NaN reason value is null, as before) and pair states with a pause round-trip."""
    for verdict in (Verdict.UP, Verdict.DOWN, Verdict.UNKNOWN):
        ev = evaluate(observation(at(0), verdict), PairState(), FAST, at(0))
        back = codec.decision_from_dict(codec.loads(codec.decision_json(ev.decision)))
        assert codec.decision_to_dict(back) == codec.decision_to_dict(ev.decision)
    pause = Pause("maintenance", "ops", at(0), at(0) + timedelta(hours=1), "sales-dw")
    state = PairState(consecutive_down=2, first_down_at=at(0), pause=pause, outage_seconds=12.5)
    assert codec.pair_state_from_dict(codec.loads(codec.pair_state_json(state))) == state


def test_the_compiled_encoding_refuses_what_json_cannot_hold() -> None:
    """A value JSON cannot hold is a TypeError before anything is written, as json.dumps raises."""
    bad = replace(observation(at(0)), rpo_seconds=cast(float, object()))
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        codec.observation_json(bad)
