"""The notifier: a bounded queue and one worker task, so pushing never blocks the decision loop.

The daemon calls `on_decision(decision)` (or `publish(event)`) from its event loop; both return at
once. When the queue is full the oldest pending event is dropped and counted: the newest state of a
pair matters more than an old one. One worker drains the queue and delivers each event to every
channel concurrently, with bounded retries. `aclose()` gives the queue a short grace period to drain,
then cancels the worker and closes the HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from types import TracebackType

import httpx

from watchdog.clock import Clock, SystemClock
from watchdog.model import Decision
from watchdog.notify.events import DecisionTracker, Event
from watchdog.notify.settings import NotificationSettings
from watchdog.notify.sinks import USER_AGENT, Deliverer, Outcome, Sink, sinks_for

log = logging.getLogger(__name__)

Observer = Callable[[str, Outcome], None]


class Notifier:
    """Queue + worker for decision notifications. Call its methods from the event loop's thread only."""

    def __init__(
        self,
        settings: NotificationSettings,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sinks: list[Sink] | None = None,
    ) -> None:
        self.settings = settings
        self.counts: Counter[tuple[str, Outcome]] = Counter()
        self._observer = observer
        self._sinks = sinks_for(settings) if sinks is None else sinks
        self._tracker = DecisionTracker(settings.states, settings.repeat_seconds)
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=settings.queue_size)
        self._client = httpx.AsyncClient(transport=transport, headers={"User-Agent": USER_AGENT})
        self._deliverer = Deliverer(self._client, settings, clock or SystemClock(), self._count)
        self._worker: asyncio.Task[None] | None = None

    @property
    def dropped(self) -> int:
        """Events dropped because the queue was full."""
        return sum(n for (_, outcome), n in self.counts.items() if outcome is Outcome.DROPPED)

    def _count(self, sink: str, outcome: Outcome) -> None:
        self.counts[(sink, outcome)] += 1
        if self._observer is not None:
            self._observer(sink, outcome)

    def on_decision(self, decision: Decision, *, quiet: bool = False) -> list[Event]:
        """Queue the events this round's decision raises (entry, repeat, resolution); returns them.
        `quiet`: follow the decision (so a later change is told as a change) but send nothing (an
        HA follower: the leader tells)."""
        events = self._tracker.events_for(decision) if self._sinks else []
        if quiet:
            return []
        for event in events:
            self.publish(event)
        return events

    def publish(self, event: Event) -> None:
        """Queue an event without waiting; a full queue drops its oldest event (counted)."""
        if not self._sinks:
            return
        while self._queue.full():
            stale = self._queue.get_nowait()
            self._queue.task_done()
            self._count("queue", Outcome.DROPPED)
            log.warning("notification queue full: dropped %s event for pair %s", stale.name, stale.pair)
        self._queue.put_nowait(event)

    def start(self) -> None:
        """Start the worker task (idempotent)."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="dr-watchdog-notifier")

    async def drain(self) -> None:
        """Wait until every queued event has been delivered or given up on."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await asyncio.gather(*(self._deliverer.deliver(sink, event) for sink in self._sinks))
            except Exception:  # the worker must survive anything a channel does
                log.exception("notification delivery crashed for pair %s", event.pair)
            finally:
                self._queue.task_done()

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Let the queue drain for up to `grace_seconds`, then stop the worker and close the client."""
        if self._worker is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drain(), grace_seconds)
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self._client.aclose()

    async def __aenter__(self) -> Notifier:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
