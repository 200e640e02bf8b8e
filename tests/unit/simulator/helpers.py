"""Shared builders for the simulator unit tests: a frozen virtual clock moved only by advance()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from watchdog.simulator import SimPair, Simulator

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
P = "0123456789abcdef0123456789abcdef"


def frozen(**pair_options: Any) -> tuple[Simulator, SimPair]:
    """A simulator at T0 with time frozen and one pair (60 s interval, 20 s cycles unless overridden)."""
    sim = Simulator(time_scale=0, start=T0, seed=1)
    options: dict[str, Any] = {"sync_interval_seconds": 60, "sync_duration_seconds": 20, **pair_options}
    return sim, sim.add_pair(P, "p", **options)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def move_to(sim: Simulator, seconds: float) -> None:
    """Advance the frozen clock to T0 + seconds."""
    delta = (at(seconds) - sim.now()).total_seconds()
    assert delta >= 0, "tests only move forward"
    sim.advance(delta)
