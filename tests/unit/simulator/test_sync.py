"""Sync cycles on the virtual clock: the cycle grid, per-cluster phases, RPO, stall and pause."""

from __future__ import annotations

from watchdog.simulator import Operation

from .helpers import P, frozen, iso, move_to


def test_new_pair_has_synced_once() -> None:
    """A new running pair's last sync is one interval ago (cycle 0 completed before now)."""
    sim, pair = frozen()
    detail = sim.dr_detail(pair.disaster_recovery_id)
    assert detail["primary_cluster"]["last_success_time"] == iso(-60)
    assert detail["standby_cluster"]["last_success_time"] == iso(-60)


def test_cycle_phases_backup_then_restore_then_waiting() -> None:
    """Within a cycle the production side is backuping, then the DR side restoring, then both waiting."""
    sim, _pair = frozen()
    seen = []
    for t in (0, 10, 20, 59):
        move_to(sim, t)
        (item,) = sim.dr_list(P)
        seen.append((item["primary_cluster_status"], item["standby_cluster_status"]))
    assert seen == [
        ("backuping", "waiting"),
        ("waiting", "restoring"),
        ("waiting", "waiting"),
        ("waiting", "waiting"),
    ]


def test_last_sync_advances_to_the_cycle_consistency_point() -> None:
    """A completed cycle moves list last_disaster_time and detail last_success_time to its start."""
    sim, pair = frozen()
    move_to(sim, 19)
    before = sim.dr_list(P)[0]["last_disaster_time"]
    move_to(sim, 20)
    after_list = sim.dr_list(P)[0]["last_disaster_time"]
    after_detail = sim.dr_detail(pair.disaster_recovery_id)["primary_cluster"]["last_success_time"]
    assert (before, after_list, after_detail) == (iso(-60), iso(0), iso(0))


def test_lazy_advance_after_a_long_silence() -> None:
    """A pair read after a long silence is exactly where continuous cycling would have put it."""
    sim, _pair = frozen()
    move_to(sim, 3600 + 25)
    assert sim.dr_list(P)[0]["last_disaster_time"] == iso(3600)


def test_progress_reports_rpo_and_barrier() -> None:
    """show-progress: latest_barrier_time is the last good sync and RPO is now minus it, in seconds."""
    sim, pair = frozen()
    move_to(sim, 45)
    progress = sim.dr_progress(pair.disaster_recovery_id)
    assert progress["latest_barrier_time"] == iso(0)
    assert progress["recovery_point_object"] == 45
    assert progress["primary_cluster"]["action_type"] == "Backup"
    assert progress["standby_cluster"]["action_end_time"] == iso(20)


def test_stall_freezes_sync_while_running() -> None:
    """stall_sync: the DR task stays running and production healthy, but the last sync stops moving."""
    sim, pair = frozen()
    move_to(sim, 30)
    sim.stall_sync(pair.disaster_recovery_id)
    move_to(sim, 600)
    detail = sim.dr_detail(pair.disaster_recovery_id)
    assert detail["status"] == "running"
    assert detail["primary_cluster"]["last_success_time"] == iso(0)
    assert sim.cluster_detail(pair.primary_cluster_id)["status"] == "AVAILABLE"
    assert sim.dr_progress(pair.disaster_recovery_id)["recovery_point_object"] == 600


def test_resumed_sync_restarts_on_the_next_cycle() -> None:
    """After resume_sync, the first cycle that starts after the resume is the next good sync."""
    sim, pair = frozen()
    sim.stall_sync(pair.disaster_recovery_id)
    move_to(sim, 200)
    sim.resume_sync(pair.disaster_recovery_id)
    move_to(sim, 259)
    assert sim.dr_list(P)[0]["last_disaster_time"] == iso(-60)
    move_to(sim, 260)
    assert sim.dr_list(P)[0]["last_disaster_time"] == iso(240)


def test_pause_freezes_sync_and_stops_both_sides() -> None:
    """Pause goes stopping -> stopped; while stopped both sides are `stopped` and sync does not move."""
    sim, pair = frozen(pause_seconds=10)
    sim.act(Operation.PAUSE_DISASTER_RECOVERY, pair.disaster_recovery_id)
    stopping = sim.dr_detail(pair.disaster_recovery_id)["status"]
    move_to(sim, 500)
    (item,) = sim.dr_list(P)
    assert stopping == "stopping"
    assert (item["status"], item["primary_cluster_status"], item["standby_cluster_status"]) == (
        "stopped",
        "stopped",
        "stopped",
    )
    assert item["last_disaster_time"] == iso(-60)


def test_an_updated_sync_period_drives_the_cycles_from_the_next_start() -> None:
    """Paused, dr_sync_period updated from 60 s to 2m, started at 130 s: good syncs follow the 2-minute
    grid (anchored one old interval before T0: 180 s, 300 s), not the old one (180, 240, 300, 360 s)."""
    sim, pair = frozen(pause_seconds=1, start_seconds=1)
    dr = pair.disaster_recovery_id
    sim.act(Operation.PAUSE_DISASTER_RECOVERY, dr)
    move_to(sim, 5)
    sim.act(Operation.UPDATE_DISASTER_INFO, dr, {"dr_sync_period": "2m"})
    move_to(sim, 130)
    sim.act(Operation.START_DISASTER_RECOVERY, dr)
    seen = {}
    for t in (210, 265, 385):
        move_to(sim, t)
        seen[t] = sim.dr_list(P)[0]["last_disaster_time"]
    assert seen == {210: iso(180), 265: iso(180), 385: iso(300)}
    assert sim.dr_detail(dr)["dr_sync_period"] == "2m"
