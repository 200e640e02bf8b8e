"""Injectable faults: error statuses, latency, hangs, malformed JSON and connection resets.

A fault matches by operation (an SDK method name, or "*") and optionally by project, and lasts for a
number of matching requests (`count`) and/or a span of virtual time (`for_seconds`). With `apply`, an
action is carried out first and only its answer misbehaves: the ambiguous POST a careful client must
reconcile ("the API took the request and hung").
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from watchdog.simulator.model import Operation


class FaultKind(StrEnum):
    ERROR = "error"  # answer `status` with an error body
    LATENCY = "latency"  # wait `seconds` (real), then answer normally
    HANG = "hang"  # never answer; drop the connection when cleared or after `seconds` (real)
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    RESET = "reset"  # close the connection with a TCP reset, no answer


# Error bodies for injected statuses. Only APIGW.0308 (429) is documented; the others are invented.
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    429: ("APIGW.0308", "The throttling threshold has been reached."),
    500: ("DWS.9999", "Internal server error (injected)."),
    502: ("APIGW.0201", "Bad gateway (injected)."),
    503: ("DWS.9998", "Service unavailable (injected)."),
    504: ("APIGW.0202", "Gateway timeout (injected)."),
}
_IDS = itertools.count(1)
T = TypeVar("T", int, float)
D = TypeVar("D")


@dataclass
class Fault:
    """One fault rule. `seconds` is real time (latency, hang bound); `for_seconds` is virtual time."""

    kind: FaultKind
    operation: str = "*"
    project_id: str | None = None
    status: int = 503
    error_code: str | None = None
    error_msg: str | None = None
    seconds: float = 0.0
    count: int | None = None
    for_seconds: float | None = None
    apply: bool = False
    region: str | None = None  # only requests to a listener with this region label
    raw_body: str | None = None  # malformed: the body to send (default: truncated JSON)
    id: int = field(default_factory=lambda: next(_IDS))
    expires: datetime | None = None
    release: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        if self.operation != "*" and self.operation not in Operation._value2member_map_:
            raise ValueError(f"operation: unknown operation {self.operation!r}")
        if self.kind is FaultKind.ERROR and not 400 <= self.status <= 599:
            raise ValueError(f"status: must be 400..599 for an error fault, got {self.status}")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count: must be >= 1, got {self.count}")
        if self.seconds < 0 or (self.for_seconds is not None and self.for_seconds < 0):
            raise ValueError("seconds: must be >= 0")
        if self.kind is FaultKind.HANG and self.seconds == 0:
            self.seconds = 60.0

    def body(self) -> dict[str, str]:
        code, msg = DEFAULT_ERRORS.get(self.status, ("DWS.9997", "Injected error."))
        return {"error_code": self.error_code or code, "error_msg": self.error_msg or msg}

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "operation": self.operation,
            "project_id": self.project_id,
            "status": self.status,
            "seconds": self.seconds,
            "count": self.count,
            "expires": self.expires.isoformat() if self.expires else None,
            "apply": self.apply,
            "region": self.region,
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Fault:
        """Build from JSON/YAML; raises ValueError('field: reason') on bad input."""
        allowed = {"kind", "operation", "project_id", "status", "error_code", "error_msg", "seconds", "count"}
        allowed |= {"for_seconds", "apply", "region", "raw_body"}
        for key in data:
            if key not in allowed:
                raise ValueError(f"{key}: unknown fault field")
        if "kind" not in data:
            raise ValueError("kind: required (error, latency, hang, malformed, reset)")
        try:
            kind = FaultKind(str(data["kind"]))
        except ValueError:
            raise ValueError(f"kind: unknown fault kind {data['kind']!r}") from None
        return cls(
            kind=kind,
            operation=str(data.get("operation", "*")),
            project_id=_opt_str(data, "project_id"),
            status=_num(data, "status", int, 503),
            error_code=_opt_str(data, "error_code"),
            error_msg=_opt_str(data, "error_msg"),
            seconds=_num(data, "seconds", float, 0.0),
            count=_num(data, "count", int, None),
            for_seconds=_num(data, "for_seconds", float, None),
            apply=bool(data.get("apply", False)),
            region=_opt_str(data, "region"),
            raw_body=_opt_str(data, "raw_body"),
        )


def _opt_str(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _num(data: Mapping[str, object], key: str, kind: type[T], default: D) -> T | D:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: must be a number, got {value!r}")
    return kind(value)


class FaultBoard:
    """The active faults, matched in insertion order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault, now: datetime) -> Fault:
        if fault.for_seconds is not None:
            fault.expires = now + timedelta(seconds=fault.for_seconds)
        with self._lock:
            self._faults.append(fault)
        return fault

    def match(
        self, operation: str, project_id: str | None, now: datetime, region: str | None = None
    ) -> Fault | None:
        """The first live fault for this request; consumes one of its `count`."""
        with self._lock:
            self._expire(now)
            for fault in self._faults:
                if fault.operation not in ("*", operation):
                    continue
                if fault.project_id is not None and fault.project_id != project_id:
                    continue
                if fault.region is not None and fault.region != region:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _expire(self, now: datetime) -> None:
        for fault in [f for f in self._faults if f.expires is not None and f.expires <= now]:
            self._faults.remove(fault)
            fault.release.set()

    def clear(self, fault_id: int | None = None) -> int:
        """Remove one fault (or all) and release any request it holds hanging; returns how many."""
        with self._lock:
            gone = [f for f in self._faults if fault_id is None or f.id == fault_id]
            self._faults = [f for f in self._faults if f not in gone]
        for fault in gone:
            fault.release.set()
        return len(gone)

    def active(self, now: datetime) -> list[Fault]:
        with self._lock:
            self._expire(now)
            return list(self._faults)
