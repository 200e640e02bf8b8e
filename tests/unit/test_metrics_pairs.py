"""PairFamily (the per-pair series on a dict) renders exactly what prometheus-client's Gauge and
Counter render for the same values, and refuses wrong label names as they do."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics
from prometheus_client.exposition import generate_latest

from watchdog.metrics_pairs import PairFamily

names = st.sampled_from(["a", "b-1", 'q"uote', "back\\slash", "new\nline", "ünï"])
values = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 5)
ops = st.lists(st.tuples(st.sampled_from(["set", "remove"]), names, names, values), max_size=30)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_a_gauge_family_renders_as_a_prometheus_gauge(steps: list[tuple[str, str, str, float]]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    family = PairFamily("drw_x", "help text", ["pair", "probe"], registry=ours)
    gauge = Gauge("drw_x", "help text", ["pair", "probe"], registry=theirs)
    for op, pair, probe, value in steps:
        if op == "set":
            family.labels(pair=pair, probe=probe).set(value)
            gauge.labels(pair=pair, probe=probe).set(value)
        elif (pair, probe) in family._values:
            family.remove(pair, probe)
            gauge.remove(pair, probe)
    assert generate_latest(ours) == generate_latest(theirs)


def test_a_counter_family_renders_as_a_prometheus_counter() -> None:
    disable_created_metrics()  # type: ignore[no-untyped-call]  # as Metrics does
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    family = PairFamily("drw_failovers", "by result", ["pair", "result"], registry=ours, counter=True)
    counter = Counter("drw_failovers", "by result", ["pair", "result"], registry=theirs)
    for pair in ("a", "b"):
        for result in ("submitted", "completed"):
            family.labels(pair=pair, result=result)
            counter.labels(pair=pair, result=result)
    family.labels(pair="a", result="submitted").inc()
    counter.labels(pair="a", result="submitted").inc()
    family.labels("b", "completed").inc(2)
    counter.labels("b", "completed").inc(2)
    assert generate_latest(ours) == generate_latest(theirs)
    assert ours.get_sample_value("drw_failovers_total", {"pair": "b", "result": "completed"}) == 2
    with pytest.raises(ValueError, match="non-negative"):
        family.labels(pair="a", result="submitted").inc(-1)


def test_wrong_labels_are_refused_naming_the_family() -> None:
    family = PairFamily("drw_up", "up", ["pair"], registry=CollectorRegistry())
    with pytest.raises(ValueError, match="drw_up: labels must be pair"):
        family.labels(cluster="x")
    with pytest.raises(ValueError, match="drw_up: labels must be pair"):
        family.labels("a", "b")
    family.labels(pair="a").set(math.nan)
    with pytest.raises(KeyError):
        family.remove("b")
