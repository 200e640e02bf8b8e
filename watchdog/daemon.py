"""The daemon: a fixed-cadence scheduler around one round, plus health, signals and a graceful stop.

APScheduler 3.x on asyncio runs one job, the round, every `probe_interval_seconds` with a little
jitter, one instance at a time, coalescing missed runs; scheduler events and overruns are counted.
The round itself (observe -> decide -> act -> record) lives in `watchdog.rounds`; this module only
keeps it running: an ordinary exception is logged and counted and the next round runs; SIGTERM or
SIGINT lets the round in flight finish, gives an in-flight failover a moment to reach its next
journaled step, closes the journal and exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from apscheduler.events import (  # type: ignore[import-untyped]  # APScheduler 3 ships no types
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry

from watchdog.clock import Clock, SystemClock
from watchdog.ha.authority import build_authority, build_coordination
from watchdog.ha.coordination import Coordination
from watchdog.ha.lock import JournalLock
from watchdog.ha.shared import Shared
from watchdog.http import Endpoints, Health, HttpServer
from watchdog.logs import setup_logging
from watchdog.metrics import Metrics
from watchdog.sdnotify import Notifier as SdNotifier
from watchdog.settings import Settings

log = logging.getLogger(__name__)
STALL_INTERVALS = 3  # /healthz fails when no round has finished for this many intervals
_EVENTS = {
    EVENT_JOB_EXECUTED: "executed",
    EVENT_JOB_ERROR: "error",
    EVENT_JOB_MISSED: "missed",
    EVENT_JOB_MAX_INSTANCES: "max_instances",
}


@dataclass
class Heartbeat:
    """When the loop last proved alive; read by the HTTP thread (plain floats: atomic enough)."""

    interval: float
    started: float = field(default_factory=time.monotonic)
    last_round_end: float | None = None
    rounds: int = 0
    stopping: bool = False

    def beat(self) -> None:
        self.last_round_end = time.monotonic()
        self.rounds += 1

    def health(self) -> Health:
        """Healthy while a round finished (or start-up began) less than three intervals ago."""
        since = time.monotonic() - (self.last_round_end or self.started)
        limit = STALL_INTERVALS * self.interval
        if self.stopping:
            return Health(False, "stopping")
        if since > limit:
            return Health(False, f"stalled: no round finished for {since:.1f} s (limit {limit:g} s)")
        return Health(True, f"ok: last round {since:.1f} s ago")

    def readiness(self) -> Health:
        """Ready once the first round is done (config loaded and the journal open come before it)."""
        if self.stopping:
            return Health(False, "stopping")
        return Health(True, "ready") if self.rounds else Health(False, "waiting for the first round")


RoundFn = Callable[[], Awaitable[Any]]


class Loop:
    """Runs `round_fn` on a fixed cadence until `stop()`; survives its exceptions."""

    def __init__(
        self,
        round_fn: RoundFn,
        *,
        interval: float,
        metrics: Metrics,
        heartbeat: Heartbeat,
        notifier: SdNotifier | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._round_fn = round_fn
        self._interval = interval
        self._metrics = metrics
        self._heartbeat = heartbeat
        self._notifier = notifier or SdNotifier({})
        self._clock = clock or SystemClock()
        self._stop = asyncio.Event()
        self._current: asyncio.Task[Any] | None = None
        self._scheduler: AsyncIOScheduler | None = None

    def stop(self) -> None:
        """Ask the loop to end after the round in flight (safe from a signal handler)."""
        self._heartbeat.stopping = True
        self._stop.set()

    async def run(self) -> None:
        """First round at once, then on the cadence, until stopped; waits for the round in flight."""
        self._scheduler = self._make_scheduler()
        self._scheduler.start()
        keepalive = asyncio.create_task(self._keepalive(), name="drw-keepalive")
        try:
            await self._stop.wait()
        finally:
            self._scheduler.pause()  # no new round; shutdown() would cancel the one in flight
            if self._current is not None and not self._current.done():
                log.info("waiting for the round in flight to finish")
                await asyncio.wait({self._current}, timeout=max(5.0, self._interval * 2))
            self._scheduler.shutdown(wait=False)
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)

    def _make_scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        scheduler.add_listener(self._on_event, EVENT_JOB_MAX_INSTANCES)
        trigger = IntervalTrigger(seconds=self._interval, jitter=min(1.0, self._interval * 0.05))
        scheduler.add_job(
            self._job,
            trigger,
            id="round",
            name="probe round",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(self._interval / 2)),
            next_run_time=self._clock.now() + timedelta(milliseconds=10),
        )
        return scheduler

    def _on_event(self, event: JobEvent) -> None:
        name = _EVENTS.get(event.code, "other")
        self._metrics.scheduler_event(name)
        if name in ("missed", "max_instances"):  # skipped runs; the overrun itself is counted at its end
            log.warning(
                "round skipped: the previous one is still running or the loop was late", extra={"event": name}
            )

    async def _job(self) -> None:
        if self._stop.is_set():
            return
        self._current = asyncio.current_task()
        began = time.monotonic()
        try:
            await self._round_fn()
        except Exception:
            self._metrics.round_errors.inc()
            log.exception("round failed; the next round runs on schedule")
        finally:
            self._finish_round(time.monotonic() - began)

    def _finish_round(self, seconds: float) -> None:
        self._metrics.rounds.inc()
        self._metrics.round_duration.observe(seconds)
        self._metrics.last_round.set(time.time())
        if seconds > self._interval:
            self._metrics.round_overruns.inc()
            log.warning(
                "round overran its interval", extra={"seconds": round(seconds, 3), "interval": self._interval}
            )
        first = self._heartbeat.rounds == 0
        self._heartbeat.beat()
        if first:
            self._metrics.ready.set(1)
        self._metrics.publish()  # the round's values are complete: the next scrape renders them
        if first:
            self._notifier.ready("first round done; watching")

    async def _keepalive(self) -> None:
        """WATCHDOG=1 to systemd, only while the loop is healthy: a stalled loop gets us restarted."""
        period = self._notifier.watchdog_interval
        if period is None:
            return
        while True:
            if self._heartbeat.health().ok:
                self._notifier.watchdog()
            await asyncio.sleep(period)


def install_signal_handlers(stop: Callable[[], None]) -> None:
    """SIGTERM and SIGINT end the loop gracefully (a second one is handled the same: idempotent)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _on_signal, sig, stop)


def _on_signal(sig: signal.Signals, stop: Callable[[], None]) -> None:
    log.info("signal received: stopping gracefully", extra={"signal": sig.name})
    stop()


# Objects allocated (net) before a young-generation collection. CPython's 700 suits small scripts; a
# round at 5,000 pairs allocates millions, and each full collection then scans every live object (the
# lists' item models, the run keys, the settings): 0.3 s each, two a round, ~28 % of a round's CPU
# (gc.callbacks, in process). At 50,000 a round runs a few cheap young collections and no full one.
GC_YOUNG_THRESHOLD = 50_000


def tune_gc() -> None:
    """The collector's thresholds for a long-running daemon (`GC_YOUNG_THRESHOLD`); the older
    generations keep CPython's defaults, so cycles are still collected, only less often."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def run_daemon(settings: Settings, log_format: str | None = None) -> int:
    """`dr-watchdog run`: serve until SIGTERM/SIGINT; 0 on a clean stop (errors raise: the CLI maps them)."""
    setup_logging(log_format or settings.log.format, settings.log.level, settings.secret_values())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return asyncio.run(serve(settings))


async def serve(settings: Settings, clock: Clock | None = None) -> int:
    """Open everything, reconcile, run the loop, and close everything in reverse order."""
    from watchdog.journal import Journal
    from watchdog.rounds import Runtime
    from watchdog.status import status_document

    clock = clock or SystemClock()
    registry = CollectorRegistry()
    names = [p.name for p in settings.pairs]
    metrics = Metrics(registry, pairs=names)
    heartbeat = Heartbeat(settings.policy.probe_interval_seconds)
    view: list[Coordination] = []  # /status: the group's shared state as the last round read it
    endpoints = Endpoints(
        registry,
        heartbeat.health,
        heartbeat.readiness,
        lambda: status_document(settings, group=_group(view)),
        metrics.exposition,
    )
    http = HttpServer(settings.http.listen, endpoints)
    lock = JournalLock(settings.state.path)
    lock.acquire()  # first: a second daemon on this journal is refused before it binds or opens anything
    try:
        _bind(http, settings.http.listen)  # a taken address fails before the journal is created
    except BaseException:
        lock.release()
        raise
    authority = build_authority(settings.ha, metrics)
    try:
        if authority is not None:
            await authority.start()
        coordination = build_coordination(settings.ha, clock, authority)
        view.extend([coordination] if coordination is not None else [])
        runtime = Runtime(settings, clock, metrics, Journal(settings.state.path), authority, coordination)
    except BaseException:
        if authority is not None:
            await authority.close()
        http.stop()
        lock.release()
        raise
    try:
        await runtime.check_placement()
    except BaseException:
        await runtime.close()
        http.stop()
        raise
    notifier = SdNotifier()
    loop = Loop(
        runtime.round,
        interval=settings.policy.probe_interval_seconds,
        metrics=metrics,
        heartbeat=heartbeat,
        notifier=notifier,
        clock=clock,
    )
    try:
        install_signal_handlers(loop.stop)
        log.info("started", extra={"pairs": names, "mode": settings.policy.mode.value, "http": http.url})
        runtime.start()
        await loop.run()
        notifier.stopping()
        await runtime.finish_actions(grace=settings.cloud.timeout_seconds + 1.0)
    finally:
        await runtime.close()
        if authority is not None:
            await authority.close()  # resigns: a follower takes over at once
        http.stop()
        lock.release()
    log.info("stopped cleanly")
    return 0


def _group(view: list[Coordination]) -> tuple[Shared, str] | None:
    coord = view[0] if view else None
    return (coord.shared, coord.me) if coord is not None and coord.shared is not None else None


class ListenError(RuntimeError):
    """The HTTP listener cannot bind: one line naming `http.listen` and the reason, exit 1 (fatal)."""

    exit_code = 1


def _bind(http: HttpServer, listen: str) -> None:
    try:
        http.start()
    except OSError as exc:
        raise ListenError(f"http.listen: cannot listen on {listen}: {exc.strerror or exc}") from None
