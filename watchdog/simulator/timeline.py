"""Scheduled world events (a scenario's timeline), applied lazily at their own virtual times.

Events are not run by a timer: every entry point of the simulator asks for the events due by now and
applies each at its scheduled instant, so a world read late is the same as one watched continuously.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, order=True)
class Event:
    at: datetime
    seq: int
    label: str = field(compare=False)
    apply: Callable[[datetime], None] = field(compare=False, repr=False)


class Timeline:
    """Events ordered by time, then by insertion. Not thread-safe: the simulator's lock guards it."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._seq = itertools.count()

    def add(self, at: datetime, label: str, apply: Callable[[datetime], None]) -> None:
        bisect.insort(self._events, Event(at, next(self._seq), label, apply))

    def run_due(self, now: datetime) -> None:
        """Apply, in order, every event due by `now` (an event may schedule more)."""
        while self._events and self._events[0].at <= now:
            event = self._events.pop(0)
            event.apply(event.at)

    def labels(self) -> list[str]:
        return [e.label for e in self._events]
