"""Fault rules: matching, counts, virtual-time expiry, release of hangs, and one-line validation errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchdog.simulator import Fault, FaultKind
from watchdog.simulator.faults import FaultBoard

from .helpers import T0


def test_count_limits_a_fault_to_n_requests() -> None:
    """A fault with count=2 hits the next two matching requests and then disappears."""
    board = FaultBoard()
    board.add(Fault(FaultKind.ERROR, status=500, count=2), T0)
    hits = [board.match("list_disaster_recover", "p", T0) is not None for _ in range(3)]
    assert hits == [True, True, False]


def test_for_seconds_expires_on_the_virtual_clock() -> None:
    """A fault with for_seconds=60 matches before T0+60 and not at or after it."""
    board = FaultBoard()
    fault = board.add(Fault(FaultKind.RESET, for_seconds=60), T0)
    inside = board.match("show_disaster_detail", None, T0 + timedelta(seconds=59))
    outside = board.match("show_disaster_detail", None, T0 + timedelta(seconds=60))
    assert (inside, outside) == (fault, None)
    assert fault.release.is_set()


def test_operation_and_project_filters() -> None:
    """A fault scoped to one operation and one project leaves every other request alone."""
    board = FaultBoard()
    board.add(Fault(FaultKind.ERROR, operation="switch_failover_disaster", project_id="a"), T0)
    assert board.match("switch_failover_disaster", "b", T0) is None
    assert board.match("show_disaster_detail", "a", T0) is None
    assert board.match("switch_failover_disaster", "a", T0) is not None


def test_clear_releases_a_hanging_request() -> None:
    """Clearing a hang fault sets its release event so the held request ends."""
    board = FaultBoard()
    fault = board.add(Fault(FaultKind.HANG), T0)
    assert board.clear() == 1
    assert fault.release.is_set()
    assert fault.seconds == 60.0


def test_default_error_bodies() -> None:
    """429 carries the documented APIGW.0308; 503 an (invented) DWS code; overrides win."""
    assert Fault(FaultKind.ERROR, status=429).body()["error_code"] == "APIGW.0308"
    assert Fault(FaultKind.ERROR, status=503).body()["error_code"] == "DWS.9998"
    assert Fault(FaultKind.ERROR, status=500, error_code="X.1").body()["error_code"] == "X.1"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "zap"}, "kind: unknown fault kind 'zap'"),
        ({}, "kind: required"),
        ({"kind": "error", "status": 200}, "status: must be 400..599"),
        ({"kind": "error", "operation": "nope"}, "operation: unknown operation 'nope'"),
        ({"kind": "error", "colour": "red"}, "colour: unknown fault field"),
        ({"kind": "latency", "seconds": "slow"}, "seconds: must be a number"),
        ({"kind": "error", "count": 0}, "count: must be >= 1"),
    ],
)
def test_bad_fault_specs_name_the_field(spec: dict[str, object], message: str) -> None:
    """A bad fault spec raises ValueError whose one-line message starts with the field name."""
    with pytest.raises(ValueError) as info:
        Fault.from_mapping(spec)
    assert str(info.value).startswith(message)
