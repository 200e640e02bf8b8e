"""The DR actions (failover, switchover, recovery, start, pause, update, delete) as timelines.

Each action validates the pair's state *now*, marks the pair busy and schedules its effects on the
virtual clock: an optional delay before the status even leaves its old value (to catch clients that
poll too eagerly), the in-between status, then the outcome. The POST itself always answers at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from watchdog.simulator.create import period_seconds
from watchdog.simulator.model import DrStatus, FailoverOutcome, Operation, SideStatus
from watchdog.simulator.pair import RECOVERY_REJECTED, Rejected, SimPair

FAILOVER_FROM = frozenset({DrStatus.RUNNING, DrStatus.ABNORMAL})
SWITCHOVER_FROM = frozenset({DrStatus.RUNNING})
RECOVERY_FROM = frozenset({DrStatus.ABNORMAL, DrStatus.STOPPED, DrStatus.RUNNING})
START_FROM = frozenset({DrStatus.UNSTART, DrStatus.START_FAILED, DrStatus.STOPPED})
PAUSE_FROM = frozenset({DrStatus.RUNNING, DrStatus.STOP_FAILED})
UPDATE_FROM = frozenset({DrStatus.UNSTART, DrStatus.STOPPED})
DELETE_FROM = frozenset(
    {
        DrStatus.UNSTART,
        DrStatus.STOPPED,
        DrStatus.RUNNING,
        DrStatus.ABNORMAL,
        DrStatus.CREATE_FAILED,
        DrStatus.START_FAILED,
        DrStatus.STOP_FAILED,
    }
)


def failover(pair: SimPair, at: datetime) -> None:
    """Exception switchover: `switchovering`, then the standby is promoted (or, injected, it fails)."""
    pair.require(FAILOVER_FROM, "failover")
    pair.check_version()
    pair.busy = True
    timing = pair.timing
    begin = pair.after(at, timing.action_delay_seconds)

    def enter(t: datetime) -> None:
        _enter_switch(pair, t)
        if timing.swap_at_start:
            pair.primary_idx = 1 - pair.primary_idx

    pair.schedule(begin, enter)
    pair.schedule(pair.after(begin, timing.failover_seconds), lambda t: _finish_failover(pair, t))


def _enter_switch(pair: SimPair, at: datetime) -> None:
    """`switchovering`: healthy sides wait, an unhealthy one stays abnormal."""
    pair.set_status(DrStatus.SWITCHOVERING, at)
    for i, cluster in enumerate(pair.clusters):
        pair.sides[i] = SideStatus.WAITING if cluster.healthy else SideStatus.ABNORMAL


def _finish_failover(pair: SimPair, at: datetime) -> None:
    pair.busy = False
    if pair.timing.swap_at_start:
        pair.primary_idx = 1 - pair.primary_idx  # undo the early swap; the real one happens below
    if pair.failover_outcome is FailoverOutcome.FAIL:
        pair.set_status(DrStatus.ABNORMAL, at)
        pair.fault_sides()
        pair.sides[pair.primary_idx] = SideStatus.ABNORMAL
        return
    pair.primary_idx = 1 - pair.primary_idx
    pair.failed_over = True
    new_primary = pair.primary
    pair.start_task(new_primary, pair.timing.promote_task, at, pair.timing.promote_seconds)
    pair.schedule(pair.after(at, pair.timing.promote_seconds), lambda t: pair.end_task(new_primary, t))
    pair.set_status(pair.timing.failover_final_status, at)
    pair.set_sides(SideStatus.STOPPED, SideStatus.ABNORMAL)


def switchover(pair: SimPair, at: datetime) -> None:
    """Planned switch: RPO 0 when production is healthy, then `running` with the roles swapped."""
    pair.require(SWITCHOVER_FROM, "switchover")
    pair.busy = True
    begin = pair.after(at, pair.timing.action_delay_seconds)

    def enter(t: datetime) -> None:
        healthy = pair.primary.healthy
        _enter_switch(pair, t)
        if healthy:
            pair.last_success = t  # every committed transaction is shipped before the switch

    def finish(t: datetime) -> None:
        pair.busy = False
        pair.primary_idx = 1 - pair.primary_idx
        pair.set_status(DrStatus.RUNNING, t)

    pair.schedule(begin, enter)
    pair.schedule(pair.after(begin, pair.timing.switchover_seconds), finish)


def recovery(pair: SimPair, at: datetime) -> None:
    """Rebuild DR after a failover, once the old production (now the standby) is AVAILABLE again."""
    pair.require(RECOVERY_FROM, "recovery")
    pair.check_version()
    if not pair.failed_over:
        raise Rejected(400, RECOVERY_REJECTED, "No failover to recover from.")
    if not pair.standby.healthy:
        raise Rejected(400, RECOVERY_REJECTED, "The original production cluster is not available.")
    pair.busy = True
    begin = pair.after(at, pair.timing.action_delay_seconds)
    seconds = pair.timing.recovery_seconds

    def enter(t: datetime) -> None:
        pair.set_status(DrStatus.STARTING, t)
        for cluster in pair.clusters:
            pair.start_task(cluster, "DR_RECOVERING", t, seconds)

    def finish(t: datetime) -> None:
        pair.busy = False
        pair.failed_over = False
        for cluster in pair.clusters:
            pair.end_task(cluster, t)
        pair.set_status(DrStatus.RUNNING, t)

    pair.schedule(begin, enter)
    pair.schedule(pair.after(begin, seconds), finish)


def start(pair: SimPair, at: datetime) -> None:
    """unstart / start_failed / stopped -> starting -> running; an updated dr_sync_period applies now
    (the API: "new settings take effect after the next start"; no cycle runs while stopped)."""
    pair.require(START_FROM, "start")
    if pair.pending_sync_interval is not None:
        pair.timing.sync_interval_seconds, pair.pending_sync_interval = pair.pending_sync_interval, None
    _two_step(pair, at, DrStatus.STARTING, DrStatus.RUNNING, pair.timing.start_seconds)


def pause(pair: SimPair, at: datetime) -> None:
    """running / stop_failed -> stopping -> stopped (sync freezes)."""
    pair.require(PAUSE_FROM, "pause")
    _two_step(pair, at, DrStatus.STOPPING, DrStatus.STOPPED, pair.timing.pause_seconds)


def delete(pair: SimPair, at: datetime) -> None:
    """-> deleting -> deleted (then the DR id answers 400 DWS.10101)."""
    pair.require(DELETE_FROM, "delete")
    _two_step(pair, at, DrStatus.DELETING, DrStatus.DELETED, pair.timing.delete_seconds)


def _two_step(pair: SimPair, at: datetime, middle: DrStatus, final: DrStatus, seconds: float) -> None:
    pair.busy = True
    begin = pair.after(at, pair.timing.action_delay_seconds)

    def enter(t: datetime) -> None:
        pair.set_status(middle, t)

    def finish(t: datetime) -> None:
        pair.busy = False
        if final is DrStatus.RUNNING and pair.start_time is None:
            pair.start_time = t
        pair.set_status(final, t)
        if final is not DrStatus.RUNNING:
            pair.set_sides(SideStatus.STOPPED, SideStatus.STOPPED)

    pair.schedule(begin, enter)
    pair.schedule(pair.after(begin, seconds), finish)


def update(pair: SimPair, body: Mapping[str, object]) -> None:
    """PUT: only in unstart/stopped; `dr_sync_period` is validated, reported at once, and drives the
    sync cycles from the next start."""
    pair.require(UPDATE_FROM, "update")
    period = body.get("dr_sync_period")
    if period is not None:
        pair.pending_sync_interval = period_seconds(str(period))  # validates: 1..3000 plus m, H or d
        pair.dr_sync_period = str(period)


_BY_OPERATION: dict[Operation, Callable[[SimPair, datetime], None]] = {
    Operation.SWITCH_FAILOVER_DISASTER: failover,
    Operation.SWITCHOVER_DISASTER_RECOVERY: switchover,
    Operation.RESTORE_DISASTER: recovery,
    Operation.START_DISASTER_RECOVERY: start,
    Operation.PAUSE_DISASTER_RECOVERY: pause,
    Operation.DELETE_DISASTER_RECOVERY: delete,
}


def perform(
    pair: SimPair, operation: Operation, at: datetime, body: Mapping[str, object] | None = None
) -> None:
    """Apply one action to a pair advanced to `at`; raises Rejected when the state does not allow it."""
    if operation is Operation.UPDATE_DISASTER_INFO:
        update(pair, body or {})
        return
    if operation not in _BY_OPERATION:
        raise ValueError(f"operation: {operation.value} is not an action")
    _BY_OPERATION[operation](pair, at)
    pair.advance(at)  # a zero action delay takes effect at once
