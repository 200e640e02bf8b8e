"""The per-pair cost of /metrics is pinned: a fleet of thousands of pairs must stay affordable for
Prometheus (issue 14: at most 20 samples per pair at steady state). A change that adds a per-pair
series must change PER_PAIR here on purpose, and stay within the budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from watchdog.metrics import Metrics
from watchdog.model import (
    ClusterView,
    DrTaskView,
    Mode,
    Observation,
    PairState,
    Policy,
    Signal,
    SignalSource,
    Verdict,
)
from watchdog.policy import evaluate
from watchdog.report import decision_metrics, observation_metrics, probe_durations, readiness_metrics

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PAIRS = [f"pair-{i}" for i in range(50)]
BUDGET = 20  # samples per pair at steady state (issue 14's target)
PER_PAIR = 20  # what a healthy pair without a data plane costs today (gray_failure, failover_ready included)


def healthy(pair: str) -> Observation:
    signals = tuple(
        Signal(s, v, "seen", NOW, latency_seconds=0.02)
        for s, v in (
            (SignalSource.PRODUCTION_CLUSTER, Verdict.UP),
            (SignalSource.DR_TASK, Verdict.UNKNOWN),
            (SignalSource.DR_CLUSTER, Verdict.UP),
        )
    )
    task = DrTaskView("dr", pair, "running", "p", "s", "normal", "normal")
    prod, dr = (ClusterView(i, i, "AVAILABLE", ("NORMAL",), version="8.2.1") for i in ("p", "s"))
    last = NOW - timedelta(seconds=60)
    return Observation(pair, "dr", NOW, signals, task, prod, dr, last_sync=last, last_sync_known=True)


def samples_by_pair(metrics: Metrics) -> dict[str, int]:
    """Samples per `pair` label value in the rendered exposition (what Prometheus would store)."""
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            pair = sample.labels.get("pair")
            if pair is not None:
                counts[pair] = counts.get(pair, 0) + 1
    return counts


def steady_round(metrics: Metrics) -> None:
    observations = [healthy(p) for p in PAIRS]
    probe_durations(metrics, observations, 0.3)
    for obs in observations:
        observation_metrics(metrics, obs)
        metrics.set_mode(obs.pair, "auto")
        evaluation = evaluate(obs, PairState(), Policy(mode=Mode.AUTO), NOW)
        decision_metrics(metrics, evaluation.decision)
        readiness_metrics(metrics, obs, evaluation)  # ready: no failover_not_ready series
    metrics.publish()


def test_a_healthy_pair_costs_a_pinned_number_of_samples() -> None:
    """Every pair of a healthy fleet costs exactly PER_PAIR samples, within the budget; no series of
    the exposition is per pair and per bucket, and no `_created` series is exported."""
    metrics = Metrics(CollectorRegistry(), pairs=PAIRS, process_collectors=False)
    steady_round(metrics)
    counts = samples_by_pair(metrics)
    assert set(counts) == set(PAIRS)
    assert set(counts.values()) == {PER_PAIR} and PER_PAIR <= BUDGET
    text = metrics.exposition().decode()
    assert "_created" not in text
    assert not [line for line in text.splitlines() if "_bucket{" in line and "pair=" in line]


def test_a_hold_adds_series_only_while_it_holds() -> None:
    """A blocked outage adds its guards' series; the next healthy round is back at PER_PAIR."""
    metrics = Metrics(CollectorRegistry(), pairs=PAIRS, process_collectors=False)
    steady_round(metrics)
    metrics.set_blocked(PAIRS[0], ["data_loss_exceeded", "cooldown"])
    metrics.set_decision(PAIRS[0], "blocked")
    metrics.publish()
    assert samples_by_pair(metrics)[PAIRS[0]] == PER_PAIR + 2
    steady_round(metrics)
    assert set(samples_by_pair(metrics).values()) == {PER_PAIR}


def test_the_exposition_is_rendered_once_per_published_round() -> None:
    """Scrapes after a publish() serve the same bytes (one rendering, however many scrapers); the next
    publish() makes the next scrape render the new values; before the first, every scrape renders."""
    metrics = Metrics(CollectorRegistry(), pairs=PAIRS[:2], process_collectors=False)
    metrics.rounds.inc()
    live = metrics.exposition()
    metrics.rounds.inc()
    assert metrics.exposition() != live  # not published yet: fresh each time
    metrics.publish()
    first = metrics.exposition()
    metrics.rounds.inc()
    assert metrics.exposition() is first  # the same rendering, not a new one
    metrics.publish()
    assert b"dr_watchdog_rounds_total 3.0" in metrics.exposition()


def test_the_rendering_equals_prometheus_clients_after_changes() -> None:
    """Families re-rendered only when they change still give generate_latest's bytes exactly: after a
    round, after values change, after a series is removed and after one is added."""
    metrics = Metrics(CollectorRegistry(), pairs=PAIRS[:5], process_collectors=False)
    steady_round(metrics)
    assert metrics.render() == generate_latest(metrics.registry)
    metrics.sync_lag.labels(pair=PAIRS[0]).set(12.5)
    metrics.production_up.labels(pair=PAIRS[1]).set(float("nan"))
    metrics.set_mode(PAIRS[2], "observe")
    assert metrics.render() == generate_latest(metrics.registry)
    metrics.production_up.labels(pair="new-pair").set(1)
    metrics.production_up.remove(PAIRS[3])
    assert metrics.render() == generate_latest(metrics.registry)
    assert b'dr_watchdog_production_up{pair="new-pair"} 1.0' in metrics.render()


def test_once_scraped_a_published_round_is_rendered_before_the_next_scrape() -> None:
    """After the first scrape, publish() renders in a worker thread: the next scrape finds the bytes
    made (the first scrape after a round does not pay the rendering), with the round's values."""
    metrics = Metrics(CollectorRegistry(), pairs=PAIRS[:2], process_collectors=False)
    metrics.publish()
    assert metrics._renderer is None  # nobody scraped yet: nothing rendered ahead
    metrics.exposition()
    metrics.rounds.inc()
    metrics.publish()
    assert metrics._renderer is not None
    metrics._renderer.submit(lambda: None).result(timeout=10)  # the worker's queue is drained
    done = metrics._exposition
    assert done is not None and done[0] == metrics._generation
    assert b"dr_watchdog_rounds_total 1.0" in done[1]
    assert metrics.exposition() is done[1]
