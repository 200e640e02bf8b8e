"""Canaries over real TCP on 127.0.0.1: UP when any answered, DOWN when none did, None when none set."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from tests.integration.evidence.support import NOW, unanswered_port
from tests.servers.postgres import free_port
from watchdog.evidence import SqlEndpoint, probe_canaries
from watchdog.model import SignalSource, Verdict


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_no_canary_configured_gives_no_signal() -> None:
    assert asyncio.run(probe_canaries([], 1.0, NOW)) is None


def test_one_answering_canary_is_enough(listening: int) -> None:
    closed = free_port()
    signal = asyncio.run(
        probe_canaries([("127.0.0.1", closed), SqlEndpoint("127.0.0.1", listening)], 1.0, NOW)
    )
    assert signal is not None and signal.source is SignalSource.CANARY
    assert signal.verdict is Verdict.UP, signal
    assert signal.detail == f"1 of 2 canaries answered (127.0.0.1:{listening})"
    assert signal.observed_at == NOW and signal.latency_seconds is not None


def test_none_answering_is_down_within_the_deadline() -> None:
    with unanswered_port() as blackholed, unanswered_port() as other:
        canaries = [
            ("127.0.0.1", free_port()),
            ("no-such-canary.invalid", 80),
            ("127.0.0.1", blackholed),
            ("127.0.0.1", other),
        ]
        started = time.monotonic()
        signal = asyncio.run(probe_canaries(canaries, 1.0, NOW))
        elapsed = time.monotonic() - started
    assert signal is not None and signal.verdict is Verdict.DOWN, signal
    assert signal.detail.startswith("none of 4 canaries answered")
    assert "Connection refused" in signal.detail and "DNS lookup failed" in signal.detail
    assert f"127.0.0.1:{blackholed}: no answer within 1 s" in signal.detail
    assert 0.9 < elapsed < 1.8  # all at once: one after another would take 2 s or more
