"""The evidence gauges from decisions and observations: gray failure, isolation, unproven probes,
heartbeat lag and how late a round started."""

from __future__ import annotations

import math
from datetime import timedelta

from prometheus_client import CollectorRegistry

from tests.unit.cli.test_report import NOW, decision
from watchdog.metrics import Metrics
from watchdog.model import Observation, ReasonCode, Signal, SignalSource, State, Verdict
from watchdog.report import decision_metrics, observation_metrics, round_metrics


def metrics(*pairs: str) -> Metrics:
    m = Metrics(CollectorRegistry(), pairs=pairs, process_collectors=False)
    for pair in pairs:
        m.evidence.add_pair(pair, data_plane=True, heartbeat=True)
    return m


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def test_gray_failure_follows_the_decision() -> None:
    """gray_failure is 1 on a decision carrying GRAY_FAILURE and back to 0 on the next one without."""
    m = metrics("p1")
    assert value(m, "dr_watchdog_gray_failure", pair="p1") == 0.0
    decision_metrics(m, decision(State.UNKNOWN, Verdict.UNKNOWN, ReasonCode.GRAY_FAILURE))
    assert value(m, "dr_watchdog_gray_failure", pair="p1") == 1.0
    decision_metrics(m, decision(State.HEALTHY, Verdict.UP))
    assert value(m, "dr_watchdog_gray_failure", pair="p1") == 0.0


def test_isolated_only_when_every_decided_pair_is_isolated() -> None:
    """isolated is 1 only when every pair decided this round carries ISOLATED; an empty round is 0."""
    m = metrics("p1")
    iso = decision(State.UNKNOWN, Verdict.UNKNOWN, ReasonCode.ISOLATED)
    up = decision(State.HEALTHY, Verdict.UP)
    round_metrics(m, [iso, iso], {}, 0.0)
    assert value(m, "dr_watchdog_isolated") == 1.0
    round_metrics(m, [iso, up], {}, 0.0)
    assert value(m, "dr_watchdog_isolated") == 0.0
    round_metrics(m, [], {}, 0.0)
    assert value(m, "dr_watchdog_isolated") == 0.0


def test_unproven_and_round_late() -> None:
    """Each (pair, side) the prober reports is exported; lateness is never negative."""
    m = metrics("p1")
    round_metrics(m, [], {("p1", "production"): True, ("p1", "dr"): False}, 12.5)
    assert value(m, "dr_watchdog_data_plane_unproven", pair="p1", side="production") == 1.0
    assert value(m, "dr_watchdog_data_plane_unproven", pair="p1", side="dr") == 0.0
    assert value(m, "dr_watchdog_round_late_seconds") == 12.5
    round_metrics(m, [], {}, -3.0)
    assert value(m, "dr_watchdog_round_late_seconds") == 0.0


def test_heartbeat_lag_when_measured_nan_when_not() -> None:
    """heartbeat_lag = observed_at - heartbeat_at; NaN again on a round with a heartbeat but no read."""
    m = metrics("p1")
    beat = Signal(SignalSource.HEARTBEAT, Verdict.UP, "written", NOW)
    obs = Observation("p1", "dr", NOW, (beat,), heartbeat_at=NOW - timedelta(seconds=42))
    observation_metrics(m, obs)
    assert value(m, "dr_watchdog_heartbeat_lag_seconds", pair="p1") == 42.0
    observation_metrics(m, Observation("p1", "dr", NOW, (beat,)))
    lag = value(m, "dr_watchdog_heartbeat_lag_seconds", pair="p1")
    assert lag is not None and math.isnan(lag)


def test_no_heartbeat_series_for_a_pair_without_one() -> None:
    """A pair without a heartbeat gets no heartbeat_lag series, whatever its observations say."""
    m = Metrics(CollectorRegistry(), pairs=["p2"], process_collectors=False)
    observation_metrics(m, Observation("p2", "dr", NOW, ()))
    assert value(m, "dr_watchdog_heartbeat_lag_seconds", pair="p2") is None
    assert value(m, "dr_watchdog_data_plane_unproven", pair="p2", side="production") is None
