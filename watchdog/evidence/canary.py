"""Canary addresses: plain TCP connects that prove the watchdog can reach the network at all.

Each configured `host:port` is connected to (TCP only, nothing sent) within the deadline, all at once.
The one CANARY signal is UP when any of them accepted, DOWN when none did (a DNS failure counts as
not answered: the canary is a reference, and a reference that did not answer can only make the
watchdog more careful). No canaries configured: no signal (None).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from watchdog.evidence.pgwire import close_writer
from watchdog.evidence.sql import SqlEndpoint, classify
from watchdog.model import Signal, SignalSource, Verdict


async def probe_canaries(
    addresses: Sequence[SqlEndpoint | tuple[str, int]], deadline: float, now: datetime
) -> Signal | None:
    """Connect to every canary at once; one aggregated CANARY signal, or None when none is set."""
    if not addresses:
        return None
    endpoints = [a if isinstance(a, SqlEndpoint) else SqlEndpoint(a[0], a[1]) for a in addresses]
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcomes = await asyncio.gather(*(_connect(endpoint, deadline) for endpoint in endpoints))
    latency = loop.time() - started
    answered = [str(e) for e, failure in zip(endpoints, outcomes, strict=True) if failure is None]
    failed = [
        f"{e}: {failure}" for e, failure in zip(endpoints, outcomes, strict=True) if failure is not None
    ]
    if answered:
        verdict = Verdict.UP
        detail = f"{len(answered)} of {len(endpoints)} canaries answered ({', '.join(answered)})"
    else:
        verdict = Verdict.DOWN
        detail = f"none of {len(endpoints)} canaries answered ({'; '.join(failed)})"
    return Signal(
        source=SignalSource.CANARY,
        verdict=verdict,
        detail=detail,
        observed_at=now,
        latency_seconds=round(latency, 6),
    )


async def _connect(endpoint: SqlEndpoint, deadline: float) -> str | None:
    """None when a TCP connection to `endpoint` opened within `deadline`, else why not."""
    try:
        async with asyncio.timeout(deadline):
            _, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
    except TimeoutError:
        return f"no answer within {deadline:g} s"
    except OSError as exc:
        return classify(exc).text
    await close_writer(writer)
    return None
