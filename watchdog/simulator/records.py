"""What the simulator saw: accepted actions and the request log, for tests that count calls.

`failover_calls()` is the ground truth for "exactly one failover": it lists accepted failover POSTs
only (rejected ones are in the request log with their status). The request log is bounded (50,000
records by default, oldest dropped first).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict
from datetime import datetime
from typing import Any

from watchdog.simulator.model import ActionCall, Operation, RequestRecord


class Records:
    """Thread-safe record of action calls and requests."""

    def __init__(self, request_log_size: int = 50_000) -> None:
        self._lock = threading.Lock()
        self._calls: list[ActionCall] = []
        self._requests: deque[RequestRecord] = deque(maxlen=request_log_size)
        self._seq = 0

    def record_call(self, call: ActionCall) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self, operation: Operation | None = None, dr_id: str | None = None) -> list[ActionCall]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (operation is None or c.operation == operation)
                and (dr_id is None or c.disaster_recovery_id == dr_id)
            ]

    def log_request(self, at: datetime, **fields: Any) -> RequestRecord:
        with self._lock:
            self._seq += 1
            record = RequestRecord(seq=self._seq, at=at, **fields)
            self._requests.append(record)
            return record

    def requests(
        self, operation: str | None = None, project_id: str | None = None, since_seq: int = 0
    ) -> list[RequestRecord]:
        with self._lock:
            return [
                r
                for r in self._requests
                if r.seq > since_seq
                and (operation is None or r.operation == operation)
                and (project_id is None or r.project_id == project_id)
            ]

    def seq(self) -> int:
        with self._lock:
            return self._seq


def as_json(record: ActionCall | RequestRecord) -> dict[str, Any]:
    data = asdict(record)
    data["at"] = record.at.isoformat()
    return data
