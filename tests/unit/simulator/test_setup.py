"""Building a world through the Python API: bad arguments fail early with the field named."""

from __future__ import annotations

import pytest

from watchdog.simulator import Simulator

from .helpers import T0, P

TAKEN = "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sync_interval_seconds": 0}, "sync_interval_seconds: must be > 0"),
        ({"failover_seconds": -1}, "failover_seconds: must be >= 0"),
        ({"colour": "red"}, "colour: unknown pair option"),
        ({"disaster_recovery_id": "not-a-uuid"}, "disaster_recovery_id: not a UUID"),
        ({"disaster_recovery_id": TAKEN}, "disaster_recovery_id: " + TAKEN + " already exists"),
        ({"status": "dancing"}, "status: unknown DR status 'dancing'"),
    ],
)
def test_bad_pair_arguments(kwargs: dict[str, object], message: str) -> None:
    """add_pair rejects bad options naming the field, and leaves no half-built clusters behind."""
    sim = Simulator(time_scale=0, start=T0)
    sim.add_pair(P, "first", disaster_recovery_id=TAKEN)
    with pytest.raises(ValueError) as info:
        sim.add_pair(P, "second", **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert len(sim.clusters) == 2


def test_initial_ids_survive_a_role_swap() -> None:
    """initial_primary_cluster_id keeps naming the original production after a switch."""
    sim = Simulator(time_scale=0, start=T0)
    pair = sim.add_pair(P, "p", switchover_seconds=1)
    original = pair.primary_cluster_id
    sim.act("switchover_disaster_recovery", pair.disaster_recovery_id)  # type: ignore[arg-type]
    sim.advance(2)
    pair = sim.pair(pair.disaster_recovery_id)
    assert (pair.initial_primary_cluster_id, pair.standby_cluster_id) == (original, original)
