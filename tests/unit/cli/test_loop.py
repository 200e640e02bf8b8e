"""The daemon's loop on its own: cadence, survival of exceptions, overruns, readiness and health."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry

from watchdog.daemon import Heartbeat, Loop
from watchdog.metrics import Metrics


def run_loop(round_fn: object, interval: float, seconds: float) -> tuple[Metrics, Heartbeat]:
    metrics = Metrics(CollectorRegistry(), process_collectors=False)
    heartbeat = Heartbeat(interval)

    async def main() -> None:
        loop = Loop(round_fn, interval=interval, metrics=metrics, heartbeat=heartbeat)  # type: ignore[arg-type]
        asyncio.get_running_loop().call_later(seconds, loop.stop)
        await loop.run()

    asyncio.run(main())
    return metrics, heartbeat


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_rounds_run_on_cadence_and_survive_exceptions() -> None:
    """A round that raises is counted and logged, and the next rounds still run on the cadence."""
    calls: list[float] = []

    async def flaky() -> None:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("boom")

    metrics, heartbeat = run_loop(flaky, 0.2, 1.1)
    assert 4 <= len(calls) <= 7
    assert value(metrics, "dr_watchdog_round_errors_total") == 1
    assert value(metrics, "dr_watchdog_rounds_total") == len(calls)
    assert heartbeat.rounds == len(calls)


def test_slow_round_counts_overruns_and_never_overlaps() -> None:
    """A round longer than the interval is counted as an overrun and never runs twice at once."""
    running = {"now": 0, "max": 0}

    async def slow() -> None:
        running["now"] += 1
        running["max"] = max(running["max"], running["now"])
        await asyncio.sleep(0.45)
        running["now"] -= 1

    metrics, _ = run_loop(slow, 0.2, 1.2)
    assert running["max"] == 1
    assert value(metrics, "dr_watchdog_round_overruns_total") == value(metrics, "dr_watchdog_rounds_total")
    skipped = value(metrics, "dr_watchdog_scheduler_events_total", event="max_instances")
    skipped += value(metrics, "dr_watchdog_scheduler_events_total", event="missed")
    assert skipped >= 1


def test_stop_waits_for_the_round_in_flight() -> None:
    """stop() during a round lets that round finish before run() returns."""
    finished: list[bool] = []

    async def long_round() -> None:
        await asyncio.sleep(0.5)
        finished.append(True)

    run_loop(long_round, 5.0, 0.2)
    assert finished == [True]


def test_health_fails_after_three_silent_intervals() -> None:
    """/healthz turns 503 when no round finished for more than three intervals; ready only after one."""
    heartbeat = Heartbeat(0.05)
    assert not heartbeat.readiness().ok
    heartbeat.beat()
    assert heartbeat.health().ok and heartbeat.readiness().ok
    time.sleep(0.2)
    assert not heartbeat.health().ok
    assert "stalled" in heartbeat.health().detail
