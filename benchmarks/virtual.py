"""The harness of the reaction and false-positive benchmarks: the daemon's own rounds
(`watchdog.rounds.Runtime`, auto mode, its journal, metrics and executor) against the simulator over
real HTTP on 127.0.0.1, on the simulator's virtual clock (docs/simulator.md), so hours of a fleet's
life take minutes.

Time moves only when the harness steps it: to each scheduled event (an outage, a fault), then to the
next round, one probe interval after the last. A round itself takes no virtual time, so it starts on
schedule and decides on a fresh observation; the daemon's sleeps inside a round (retry backoffs,
failover polls) are short real sleeps that do not move it. The API is reached with an IAM token: an
AK/SK signature's date follows the real clock, which the virtual one leaves behind.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from watchdog.journal import Journal
from watchdog.metrics import Metrics
from watchdog.model import Action
from watchdog.rounds import RoundResult, Runtime
from watchdog.settings import Settings
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.pair import SimPair
from watchdog.simulator.vclock import VirtualClock

PROJECT = "0123456789abcdef0123456789abcdef"
TOKEN = "benchmark-iam-token"
INTERVAL = 15.0  # the shipped default policy: 15 s rounds, 4 DOWN rounds and 60 s to confirm


class SteppedClock:
    """The daemon's clock: the simulator's virtual time, moved only by the harness. A sleep is a real
    sleep of `scale` times as long (capped), so a retry or a poll lets the loop run without moving time."""

    def __init__(self, virtual: VirtualClock, scale: float = 0.01) -> None:
        self.virtual, self.scale = virtual, scale

    def now(self) -> datetime:
        return self.virtual.now()

    def monotonic(self) -> float:
        return self.virtual.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(0.05, max(0.0, seconds) * self.scale))


@dataclass(order=True)
class Event:
    """Something done to the world at a virtual time (seconds since the start)."""

    at: float
    seq: int
    apply: Callable[[Simulator], None] = field(compare=False)


class World:
    """The simulator (frozen: time_scale 0), its HTTP server, and the daemon's Runtime against it."""

    def __init__(self, pairs: int, seed: int, tmp: Path, *, timeout: float = 2.0, **policy: Any) -> None:
        self.sim = Simulator(time_scale=0, seed=seed)
        self.sim.add_token(TOKEN, PROJECT)
        self.pairs: list[SimPair] = self.sim.add_pairs(PROJECT, pairs, prefix="p", sync_interval_seconds=300)
        self.clock = SteppedClock(self.sim.clock)
        self.tmp, self.policy, self.timeout = tmp, policy, timeout
        self.events: list[Event] = []
        self._seq = itertools.count()
        self.runtime: Runtime | None = None

    def at(self, seconds: float, apply: Callable[[Simulator], None]) -> None:
        heapq.heappush(self.events, Event(seconds, next(self._seq), apply))

    def elapsed(self) -> float:
        return self.sim.clock.monotonic()

    def advance_to(self, seconds: float) -> None:
        step = seconds - self.elapsed()
        if step > 0:
            self.sim.advance(step)

    def settings(self, url: str) -> Settings:
        data: dict[str, Any] = {
            "cloud": {
                "endpoint": url,
                "project_id": PROJECT,
                "token": TOKEN,
                "timeout_seconds": self.timeout,
            },
            "pairs": [{"name": p.name, "disaster_recovery_id": p.disaster_recovery_id} for p in self.pairs],
            "policy": {"mode": "auto", "probe_interval_seconds": INTERVAL, **self.policy},
            "failover": {"poll_interval_seconds": 5.0},
            "state": {"path": str(self.tmp / "watchdog.db")},
        }
        data["cloud"]["timeout_seconds"] = self.timeout
        return Settings(**data)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Runtime]:
        with SimulatorServer(self.sim, host="127.0.0.1", port=0) as server:
            settings = self.settings(server.url)
            metrics = Metrics(CollectorRegistry(), pairs=[p.name for p in self.pairs])
            runtime = Runtime(settings, self.clock, metrics, Journal(settings.state.path))
            self.runtime = runtime
            runtime.start()
            try:
                yield runtime
            finally:
                await runtime.finish_actions(grace=0)
                await runtime.close()

    async def rounds(self, until: float) -> AsyncIterator[RoundResult]:
        """Round after round until `until` virtual seconds, applying the events due before each."""
        assert self.runtime is not None
        due = self.elapsed() + INTERVAL
        while due <= until:
            while self.events and self.events[0].at <= due:
                event = heapq.heappop(self.events)
                self.advance_to(event.at)
                event.apply(self.sim)
            self.advance_to(due)
            result = await self.runtime.round()
            await self._posted(result)
            yield result
            due += INTERVAL

    async def _posted(self, result: RoundResult, wait: float = 10.0) -> None:
        """Before time moves on: the failover task of each pair decided FAILOVER has sent its POST
        (or ended), so the POST's virtual time is the round's."""
        assert self.runtime is not None
        dr = {p.name: p.disaster_recovery_id for p in self.pairs}
        started = [n for n, d in result.decisions.items() if d.action is Action.FAILOVER]
        end = time.monotonic() + wait
        for name in started:
            task = self.runtime._acting.get(name)
            while time.monotonic() < end and not self.sim.failover_calls(dr[name]):
                if task is None or task.done():
                    break
                await asyncio.sleep(0.005)


def quiet() -> None:
    """The daemon's decision log lines would be millions; keep warnings and errors only."""
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("watchdog").setLevel(logging.ERROR)
    os.environ.setdefault("HOME", tempfile.mkdtemp(prefix="drw-bench-"))
