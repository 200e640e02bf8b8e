"""Output options and shapes: timestamp formats, ACTIVE vs AVAILABLE, never-synced, string types."""

from __future__ import annotations

import pytest

from watchdog.simulator import DrStatus, Simulator, TimestampFormat

from .helpers import T0, P


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (TimestampFormat.ISO_Z, "2026-01-01T11:59:00Z"),
        (TimestampFormat.ISO_MILLIS, "2026-01-01T11:59:00.000Z"),
        (TimestampFormat.ISO_OFFSET, "2026-01-01T19:59:00+08:00"),
        (TimestampFormat.SPACE, "2026-01-01 11:59:00"),
        (TimestampFormat.EPOCH_MILLIS, "1767268740000"),
    ],
)
def test_timestamp_formats(fmt: TimestampFormat, expected: str) -> None:
    """The DR timestamp format is configurable; the default is YYYY-MM-DDThh:mm:ssZ."""
    sim = Simulator(time_scale=0, start=T0, timestamp_format=fmt)
    sim.add_pair(P, "p", sync_interval_seconds=60)
    assert sim.dr_list(P)[0]["last_disaster_time"] == expected


def test_active_instead_of_available() -> None:
    """emit_active makes healthy clusters report ACTIVE (the current English docs' spelling)."""
    sim = Simulator(time_scale=0, start=T0, emit_active=True)
    pair = sim.add_pair(P, "p")
    assert sim.cluster_detail(pair.primary_cluster_id)["status"] == "ACTIVE"


def test_never_synced_is_null() -> None:
    """A DR task that never started has null sync times and a null RPO."""
    sim = Simulator(time_scale=0, start=T0)
    pair = sim.add_pair(P, "p", status=DrStatus.UNSTART)
    assert sim.dr_list(P)[0]["last_disaster_time"] is None
    assert sim.dr_progress(pair.disaster_recovery_id)["recovery_point_object"] is None


def test_field_types_match_the_api() -> None:
    """DR fields are strings, node status is a digit string, action_progress an object, created in Z form."""
    sim = Simulator(time_scale=0, start=T0)
    pair = sim.add_pair(P, "p")
    item = sim.dr_list(P)[0]
    cluster = sim.cluster_detail(pair.primary_cluster_id)
    assert all(isinstance(v, str) for v in item.values())
    assert all(n["status"].isdigit() for n in cluster["nodes"])
    assert cluster["action_progress"] == {}
    assert cluster["created"] == "2026-01-01T12:00:00Z"
    assert isinstance(cluster["port"], int)
