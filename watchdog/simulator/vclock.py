"""The simulator's virtual clock: start + real elapsed x time_scale, plus explicit jumps.

The simulated timestamps follow this clock, so with time_scale != 1 they drift from the real one: a
process comparing them with its own wall clock must run at time_scale 1 (use short intervals instead),
or share this clock (it satisfies watchdog.clock.Clock).

`time_scale=60` makes a 5-minute sync interval pass in 5 real seconds; `time_scale=0` freezes time so
unit tests move it only with `advance()` and every timing assertion is exact.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchdog.clock import Clock


class VirtualClock:
    """Thread-safe virtual time. Changing the scale keeps `now()` continuous."""

    def __init__(self, time_scale: float = 1.0, start: datetime | None = None) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale: must be >= 0, got {time_scale}")
        self._lock = threading.Lock()
        self._scale = time_scale
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._mono = time.monotonic()
        self._origin = self._base

    @property
    def time_scale(self) -> float:
        return self._scale

    def now(self) -> datetime:
        """The current virtual time, timezone-aware UTC."""
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        return self._base + timedelta(seconds=(time.monotonic() - self._mono) * self._scale)

    def advance(self, seconds: float) -> datetime:
        """Jump forward `seconds` of virtual time; returns the new now."""
        if seconds < 0:
            raise ValueError(f"seconds: must be >= 0, got {seconds}")
        with self._lock:
            self._base = self._now_locked() + timedelta(seconds=seconds)
            self._mono = time.monotonic()
            return self._base

    def set_time_scale(self, time_scale: float) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale: must be >= 0, got {time_scale}")
        with self._lock:
            self._base = self._now_locked()
            self._mono = time.monotonic()
            self._scale = time_scale

    def monotonic(self) -> float:
        """Virtual seconds since the clock was made (never jumps back); with now() and sleep() this
        satisfies watchdog.clock.Clock, so in-process code can share the simulator's time."""
        return (self.now() - self._origin).total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of virtual time (real time / time_scale); a frozen clock only yields."""
        real = self.real_seconds(max(0.0, seconds))
        await asyncio.sleep(0 if real == float("inf") else real)

    def real_seconds(self, virtual_seconds: float) -> float:
        """How long `virtual_seconds` take in real time (inf when time is frozen)."""
        return float("inf") if self._scale == 0 else virtual_seconds / self._scale


if TYPE_CHECKING:
    _CLOCK_PROTOCOL_CHECK: Clock = VirtualClock()  # mypy proves VirtualClock is a watchdog Clock
