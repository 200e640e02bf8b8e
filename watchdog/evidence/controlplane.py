"""The control plane as evidence: one DWS API read as a value (`Read`), and the verdicts on it.

Every read is timed (`Read.seconds`), so each control-plane signal carries its latency: the list
read for a cluster found in the list, the detail read for one looked up.

Verdicts (positive evidence only for DOWN):
- PRODUCTION_CLUSTER: the cluster holding the primary role. FAILED/UNAVAILABLE, DELETED, or DWS's own
  "cluster does not exist" (DWS.0047, ResourceGoneError) -> DOWN; any other 404 (the gateway's
  APIGW.0101, a proxy's HTML page, another code) is UNKNOWN with its text;
  AVAILABLE/ACTIVE -> UP, a degraded sub_status (DEGRADED, READONLY...) only noted; anything else,
  and any API error -> UNKNOWN.
- DR_TASK: DOWN when the task is abnormal with the production side abnormal; the policy takes that
  only as corroboration of production's own cluster signal, never alone as production down (with
  production UP it means the replication is broken). Otherwise it is no evidence about production
  (a running task lags a real outage by up to a sync cycle; calling that UP would contradict a
  FAILED cluster and stall confirmation), so its verdict is UNKNOWN with no error: the read worked
  and had nothing to say. API errors give UNKNOWN with the error.
- DR_CLUSTER: the standby's cluster status, read the same way as production's.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from watchdog.dws.errors import (
    DwsError,
    RequestTimeout,
    ResourceGoneError,
    ServerError,
    UnreachableError,
)
from watchdog.dws.models import ClusterInfo, ClusterStatus, DrClusterStatus, DrStatus
from watchdog.model import DrTaskView, Signal, SignalSource, Verdict

__all__ = ["Read", "Side", "Sides", "api_signal", "cluster_signal", "indexed", "read", "task_signal"]

T = TypeVar("T")
DOWN_CLUSTER = frozenset({ClusterStatus.FAILED, ClusterStatus.DELETED})
NORMAL_SUB_STATUS = "NORMAL"
Side = Literal["production", "dr"]


@dataclass(frozen=True)
class Read(Generic[T]):
    """The outcome of one API read: a value, or the error text (never a secret: DwsError scrubs it).

    `not_found` is set only when DWS itself said the object does not exist (ResourceGoneError).
    """

    value: T | None = None
    error: str | None = None
    not_found: bool = False
    failure: DwsError | None = None  # the error itself, for what its text does not carry
    seconds: float | None = None  # how long the read took (None: nothing was read)


async def read(call: Awaitable[T]) -> Read[T]:
    """Await a client call; a DwsError becomes its text, so one failed read never sinks the round.

    Only ResourceGoneError (DWS.0047 on a cluster read, DWS.10101 on a DR task read) sets
    `not_found`; any other 404 (the gateway's APIGW.0101, a proxy's page) is an error like any other.
    """
    began = time.perf_counter()
    try:
        value = await call
    except ResourceGoneError as exc:
        return Read(error=str(exc), not_found=True, failure=exc, seconds=time.perf_counter() - began)
    except DwsError as exc:
        return Read(error=str(exc), failure=exc, seconds=time.perf_counter() - began)
    return Read(value, seconds=time.perf_counter() - began)


@dataclass(frozen=True)
class Sides:
    """The clusters a pair's round named as production and DR (ids from the DR task; None: unknown)."""

    production_id: str | None = None
    production: ClusterInfo | None = None
    dr_id: str | None = None
    dr: ClusterInfo | None = None

    def of(self, side: Side) -> tuple[str | None, ClusterInfo | None]:
        return (self.production_id, self.production) if side == "production" else (self.dr_id, self.dr)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=_HasId)


def indexed(listing: Read[list[Item]]) -> Read[dict[str, Item]]:
    """A list read turned into a read of the same items by id."""
    if listing.value is None:
        return Read(error=listing.error, failure=listing.failure, seconds=listing.seconds)
    return Read({item.id: item for item in listing.value}, seconds=listing.seconds)


def cluster_signal(source: SignalSource, side: str, cluster: Read[ClusterInfo], now: datetime) -> Signal:
    """A cluster's status as evidence: FAILED/DELETED/DWS.0047 -> DOWN, AVAILABLE -> UP, else UNKNOWN;
    its latency is the read's."""
    return replace(_cluster_verdict(source, side, cluster, now), latency_seconds=cluster.seconds)


def _cluster_verdict(source: SignalSource, side: str, cluster: Read[ClusterInfo], now: datetime) -> Signal:
    if cluster.not_found:
        return Signal(source, Verdict.DOWN, f"{side} cluster does not exist (deleted): {cluster.error}", now)
    c = cluster.value
    if c is None:
        return Signal(source, Verdict.UNKNOWN, f"{side} cluster not read", now, error=cluster.error)
    if c.status is ClusterStatus.AVAILABLE:
        return Signal(source, Verdict.UP, f"{side} cluster {c.id} {c.status_raw}{_notes(c)}", now)
    if c.status in DOWN_CLUSTER:
        reasons = f": {c.failed_reasons}" if c.failed_reasons else ""
        return Signal(source, Verdict.DOWN, f"{side} cluster {c.id} {c.status_raw}{reasons}", now)
    text = f"{side} cluster {c.id} status {c.status_raw!r} is no evidence either way"
    error = f"unexpected cluster status {c.status_raw!r}" if c.status is ClusterStatus.UNKNOWN else None
    return Signal(source, Verdict.UNKNOWN, text, now, error=error)


def _notes(c: ClusterInfo) -> str:
    """Degraded sub_status and a running task: reported beside UP, never turned into DOWN."""
    notes = [s for s in c.sub_status if s.upper() != NORMAL_SUB_STATUS]
    text = f", degraded: {' | '.join(notes)}" if notes else ""
    return text + (f", task {c.task_status}" if c.task_status else "")


def task_signal(
    task: DrTaskView | None, task_error: str, now: datetime, seconds: float | None = None
) -> Signal:
    """DOWN when the DR task is abnormal on the production side; otherwise no evidence (see module doc).

    `seconds`: how long the reads behind it took (the signal's latency)."""
    return replace(_task_verdict(task, task_error, now), latency_seconds=seconds)


def _task_verdict(task: DrTaskView | None, task_error: str, now: datetime) -> Signal:
    source = SignalSource.DR_TASK
    if task is None:
        return Signal(
            source, Verdict.UNKNOWN, "DR task not read, or production not identified", now, error=task_error
        )
    status = DrStatus.parse(task.status)
    side = DrClusterStatus.parse(task.primary_status)
    text = f"DR task {task.status}, production side {task.primary_status}"
    if status is DrStatus.ABNORMAL and side is DrClusterStatus.ABNORMAL:
        return Signal(source, Verdict.DOWN, text, now)
    if status is DrStatus.UNKNOWN:
        return Signal(source, Verdict.UNKNOWN, text, now, error=f"unexpected DR status {task.status!r}")
    return Signal(source, Verdict.UNKNOWN, text + ": no evidence against production", now)


UNREACHABLE = (UnreachableError, RequestTimeout, ServerError)


def unreachable(r: Read[Any]) -> bool:
    """The read got no answer from the endpoint: refused, reset, timed out, or a 5xx (a gateway
    whose region is gone). A 4xx, a throttle or a malformed body is an answer."""
    return r.value is None and isinstance(r.failure, UNREACHABLE)


def api_signal(endpoint: str, reads: tuple[Read[Any], ...], now: datetime) -> Signal:
    """PRODUCTION_API: production's endpoint (a cross-region pair's) as evidence about itself only.

    DOWN when every read through it this round got no answer (`unreachable`), UP when one was
    answered, UNKNOWN otherwise (refused credentials, throttled, malformed)."""
    source = SignalSource.PRODUCTION_API
    if any(r.value is not None for r in reads):
        return Signal(source, Verdict.UP, f"production's API endpoint {endpoint} answers", now)
    errors = "; ".join(r.error or "not read" for r in reads)
    if reads and all(unreachable(r) for r in reads):
        return Signal(
            source, Verdict.DOWN, f"production's API endpoint {endpoint} unreachable: {errors}", now
        )
    text = f"production's API endpoint {endpoint} answered with errors"
    return Signal(source, Verdict.UNKNOWN, text, now, error=errors or "not read")
