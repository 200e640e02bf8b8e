"""The virtual clock: scaled real time, jumps, continuity across scale changes, and the Clock protocol."""

from __future__ import annotations

import asyncio
import time

import pytest

from watchdog.clock import Clock
from watchdog.simulator.vclock import VirtualClock

from .helpers import T0


def test_time_scale_multiplies_real_elapsed_time() -> None:
    """At time_scale 100, 0.05 real seconds are about 5 virtual seconds."""
    clock = VirtualClock(100, T0)
    time.sleep(0.05)
    elapsed = (clock.now() - T0).total_seconds()
    assert 4.5 <= elapsed < 30


def test_frozen_clock_moves_only_by_advance() -> None:
    """time_scale 0 freezes time; advance() jumps it exactly."""
    clock = VirtualClock(0, T0)
    time.sleep(0.01)
    assert clock.now() == T0
    assert (clock.advance(90) - T0).total_seconds() == 90
    assert clock.monotonic() == 90


def test_changing_the_scale_keeps_now_continuous() -> None:
    """set_time_scale never makes now() jump or go back."""
    clock = VirtualClock(0, T0)
    clock.advance(10)
    before = clock.now()
    clock.set_time_scale(1000)
    assert clock.now() >= before
    assert (clock.now() - before).total_seconds() < 5


def test_bad_arguments_name_the_field() -> None:
    """Negative scales or jumps are rejected with the field named."""
    with pytest.raises(ValueError, match="time_scale"):
        VirtualClock(-1)
    with pytest.raises(ValueError, match="seconds"):
        VirtualClock(0, T0).advance(-1)


def test_satisfies_the_watchdog_clock_protocol() -> None:
    """A VirtualClock can be handed to code that wants a watchdog.clock.Clock; sleep() is scaled."""
    clock: Clock = VirtualClock(1000, T0)
    started = time.monotonic()
    asyncio.run(clock.sleep(50))
    assert time.monotonic() - started < 1.0
    assert clock.monotonic() >= 50
