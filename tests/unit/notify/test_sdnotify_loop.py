"""The daemon's loop speaking sd_notify to a real datagram socket: READY=1 only after the first
round, WATCHDOG=1 keep-alives only while the loop is healthy (a stalled loop must get restarted)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from watchdog.daemon import STALL_INTERVALS, Heartbeat, Loop
from watchdog.metrics import Metrics
from watchdog.sdnotify import Notifier

KEEPALIVE_USEC = "40000"  # WatchdogSec=40 ms: a keep-alive every 20 ms while healthy

RoundFn = Callable[[], Awaitable[None]]


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A non-blocking datagram socket bound where $NOTIFY_SOCKET points, as systemd listens."""
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.setblocking(False)
        yield sock, path


class Collector:
    """Reads the socket continuously (as systemd does), filing each datagram under the current phase."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.phase = "start"
        self.seen: dict[str, list[str]] = {}

    async def run(self) -> None:
        while True:
            while True:
                try:
                    message = self.sock.recv(4096).decode()
                except BlockingIOError:
                    break
                self.seen.setdefault(self.phase, []).append(message)
            await asyncio.sleep(0.005)

    def messages(self, phase: str) -> list[str]:
        return self.seen.get(phase, [])


Script = Callable[[Collector], Awaitable[None]]


def _run(
    listener: tuple[socket.socket, str], interval: float, round_fn: RoundFn, script: Script
) -> Collector:
    """Run the real Loop, notifying `listener`, while `script` moves the collector's phases; then stop."""
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": KEEPALIVE_USEC})
    metrics = Metrics(CollectorRegistry(), process_collectors=False)
    collector = Collector(sock)

    async def main() -> None:
        heartbeat = Heartbeat(interval)
        loop = Loop(round_fn, interval=interval, metrics=metrics, heartbeat=heartbeat, notifier=notifier)
        reader = asyncio.create_task(collector.run())
        runner = asyncio.create_task(loop.run())
        try:
            await script(collector)
        finally:
            loop.stop()
            await asyncio.wait_for(runner, 10)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    asyncio.run(main())
    return collector


def test_ready_only_after_the_first_round(listener: tuple[socket.socket, str]) -> None:
    """While the first round is still running no READY=1 is sent; it comes once, when the round ends."""
    release = asyncio.Event()

    async def first_round_slow() -> None:
        await release.wait()

    async def script(collector: Collector) -> None:
        collector.phase = "during"
        await asyncio.sleep(0.5)  # the first round is in flight (well inside the stall limit)
        collector.phase = "after"
        release.set()
        await asyncio.sleep(0.5)

    got = _run(listener, 1.0, first_round_slow, script)
    assert not [m for m in got.messages("during") if m.startswith("READY=1")]
    assert "WATCHDOG=1" in got.messages("during")  # alive (start-up counts as healthy), not ready yet
    ready = [m for m in got.messages("after") if m.startswith("READY=1")]
    assert ready == ["READY=1\nSTATUS=first round done; watching"]


def test_keepalives_stop_while_the_loop_is_stalled(listener: tuple[socket.socket, str]) -> None:
    """A round that hangs past the stall limit silences WATCHDOG=1; the keep-alives resume when it ends."""
    interval = 0.2
    calls: list[int] = []
    release = asyncio.Event()

    async def second_round_hangs() -> None:
        calls.append(1)
        if len(calls) == 2:
            await release.wait()

    async def script(collector: Collector) -> None:
        collector.phase = "healthy"
        await asyncio.sleep(0.15)  # the first round is done, the second starts at about 0.2 s
        collector.phase = "noticing"
        await asyncio.sleep(STALL_INTERVALS * interval + 0.3)  # past the stall limit plus a margin
        collector.phase = "stalled"
        await asyncio.sleep(0.5)
        stalled_rounds.append(len(calls))
        collector.phase = "released"
        release.set()
        await asyncio.sleep(0.3)

    stalled_rounds: list[int] = []
    got = _run(listener, interval, second_round_hangs, script)
    assert got.messages("healthy").count("WATCHDOG=1") >= 2
    assert stalled_rounds == [2], "the second round was hanging all through the stalled phase"
    assert "WATCHDOG=1" not in got.messages("stalled")
    assert got.messages("released").count("WATCHDOG=1") >= 2
