"""The simulator's virtual clock: start + real elapsed x time_scale, plus explicit jumps.

`time_scale=60` makes a 5-minute sync interval pass in 5 real seconds; `time_scale=0` freezes time so
unit tests move it only with `advance()` and every timing assertion is exact.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """Thread-safe virtual time. Changing the scale keeps `now()` continuous."""

    def __init__(self, time_scale: float = 1.0, start: datetime | None = None) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale: must be >= 0, got {time_scale}")
        self._lock = threading.Lock()
        self._scale = time_scale
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._mono = time.monotonic()

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

    def real_seconds(self, virtual_seconds: float) -> float:
        """How long `virtual_seconds` take in real time (inf when time is frozen)."""
        return float("inf") if self._scale == 0 else virtual_seconds / self._scale
