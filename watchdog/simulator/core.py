"""The simulator: the world (see world.py) plus what happens in it: failures, faults, the timeline,
the records tests assert on, and the API's answers without HTTP.

One re-entrant lock guards everything, so concurrent pollers always see one consistent state. Every
entry point first applies the due timeline events and advances the pairs it touches to `now`; a
request therefore costs O(pairs in its project) at most, however many projects there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from watchdog.simulator import actions
from watchdog.simulator.auth import Lockout
from watchdog.simulator.faults import Fault, FaultBoard, FaultKind
from watchdog.simulator.model import (
    ActionCall,
    ClusterState,
    FailoverOutcome,
    Operation,
    PairTiming,
    RequestRecord,
    SimCluster,
    TimestampFormat,
)
from watchdog.simulator.pair import SimPair
from watchdog.simulator.records import Records
from watchdog.simulator.render import Renderer
from watchdog.simulator.timeline import Timeline
from watchdog.simulator.world import World

_TIMING_FIELDS = {f.name for f in fields(PairTiming)}


class Simulator(World):
    """A faithful, in-memory DWS DR API. Thread-safe; see docs/simulator.md."""

    def __init__(
        self,
        time_scale: float = 1.0,
        *,
        start: datetime | None = None,
        timestamp_format: TimestampFormat = TimestampFormat.ISO_Z,
        emit_active: bool = False,
        region: str = "cn-north-4",
        seed: int | None = None,
        request_log_size: int = 50_000,
        ak_lockout: bool = False,
    ) -> None:
        super().__init__(time_scale, start=start, region=region, seed=seed)
        self.renderer = Renderer(TimestampFormat(timestamp_format), emit_active)
        self.faults = FaultBoard()
        self.records = Records(request_log_size)
        self.lockout = Lockout() if ak_lockout else None  # five failures lock an AK for 5 minutes
        self.create_timing: dict[str, Any] = {}  # PairTiming overrides for tasks created through the API
        self._timeline = Timeline()

    # ---- look-ups that advance to now -----------------------------------------------------------
    def pair(self, dr_id: str) -> SimPair:
        """The pair advanced to now; KeyError if unknown."""
        with self.lock:
            now = self._tick()
            pair = self.pairs[dr_id]
            pair.advance(now)
            return pair

    def cluster(self, cluster_id: str) -> SimCluster:
        with self.lock:
            now = self._tick()
            owner = self._cluster_pair.get(cluster_id)
            if owner is not None:
                owner.advance(now)
            return self.clusters[cluster_id]

    # ---- the world changes ----------------------------------------------------------------------
    def fail_cluster(
        self,
        cluster_id: str,
        *,
        sub_status: str | None = None,
        reason: str | None = "Cluster nodes are unreachable (simulated).",
        nodes_down: int = 1,
        state: ClusterState = ClusterState.FAILED,
        at: datetime | None = None,
    ) -> None:
        """Production outage: status FAILED (or UNAVAILABLE), nodes '300', sync freezes, DR abnormal later."""
        with self.lock:
            at = at or self._tick()
            cluster = self.clusters[cluster_id]
            self._advance_owner(cluster_id, at)
            cluster.state = ClusterState(state)
            cluster.sub_status = sub_status or cluster.sub_status
            cluster.failed_reasons = {"error_code": "DWS.0300", "error_msg": reason} if reason else None
            cluster.nodes_down = min(max(nodes_down, 0), cluster.node_count)
            cluster.updated = at
            self._owner_changed(cluster_id, at)

    def recover_cluster(self, cluster_id: str, *, at: datetime | None = None) -> None:
        """The cluster is AVAILABLE again with all nodes '200'."""
        with self.lock:
            at = at or self._tick()
            cluster = self.clusters[cluster_id]
            self._advance_owner(cluster_id, at)
            cluster.state = ClusterState.AVAILABLE
            cluster.sub_status = "NORMAL"
            cluster.failed_reasons = None
            cluster.nodes_down = 0
            cluster.updated = at
            self._owner_changed(cluster_id, at)

    def set_sub_status(self, cluster_id: str, sub_status: str) -> None:
        """E.g. 'DEGRADED | UNBALANCED': degraded but not down."""
        with self.lock:
            self.clusters[cluster_id].sub_status = sub_status

    def stall_sync(self, dr_id: str, stalled: bool = True, *, at: datetime | None = None) -> None:
        """Stale sync: cycles stop succeeding while production stays healthy and DR stays running."""
        with self.lock:
            at = at or self._tick()
            pair = self.pairs[dr_id]
            pair.advance(at)
            pair.set_stalled(stalled, at)

    def resume_sync(self, dr_id: str) -> None:
        self.stall_sync(dr_id, False)

    def set_failover_outcome(self, dr_id: str, outcome: FailoverOutcome) -> None:
        """Make this pair's next failovers succeed or fail (abnormal, no role swap)."""
        with self.lock:
            self.pairs[dr_id].failover_outcome = FailoverOutcome(outcome)

    def configure_pair(self, dr_id: str, **timing: Any) -> None:
        """Change a pair's timing knobs (any PairTiming field)."""
        with self.lock:
            pair = self.pairs[dr_id]
            for key, value in timing.items():
                if key not in _TIMING_FIELDS:
                    raise ValueError(f"{key}: unknown pair option")
                setattr(pair.timing, key, value)

    def override(self, object_id: str, **fields_: Any) -> None:
        """Force fields in what the API returns for a DR task or cluster (unknown enum values, odd
        timestamps, wrong types): `override(dr_id, status="limbo")`; a key `primary_cluster__status`
        reaches a nested object. Without fields, removes the overrides."""
        with self.lock:
            if not fields_:
                self.renderer.overrides.pop(object_id, None)
                return
            patch = self.renderer.overrides.setdefault(object_id, {})
            patch.update({key.replace("__", "."): value for key, value in fields_.items()})

    def _advance_owner(self, cluster_id: str, at: datetime) -> None:
        owner = self._cluster_pair.get(cluster_id)
        if owner is not None:
            owner.advance(at)

    def _owner_changed(self, cluster_id: str, at: datetime) -> None:
        owner = self._cluster_pair.get(cluster_id)
        if owner is not None:
            owner.on_cluster_change(at)

    # ---- the API's answers and actions without HTTP (unit tests, demo, game days) ----------------
    def dr_detail(self, dr_id: str) -> dict[str, Any]:
        """The JSON `disaster_recovery` object of the detail API, as of now."""
        with self.lock:
            return self.renderer.dr_detail(self.pair(dr_id), self.now())

    def dr_progress(self, dr_id: str) -> dict[str, Any]:
        with self.lock:
            return self.renderer.dr_progress(self.pair(dr_id), self.now())

    def dr_list(self, project_id: str) -> list[dict[str, Any]]:
        with self.lock:
            now = self._tick()
            for pair in self.project_pairs(project_id):
                pair.advance(now)
            return [self.renderer.dr_list_item(p, now) for p in self.project_pairs(project_id) if not p.gone]

    def cluster_detail(self, cluster_id: str) -> dict[str, Any]:
        with self.lock:
            return self.renderer.cluster_detail(self.cluster(cluster_id), self.now())

    def act(self, operation: Operation, dr_id: str, body: dict[str, Any] | None = None) -> None:
        """Perform an action as the API would (raises Rejected); recorded like an HTTP call."""
        with self.lock:
            pair = self.pair(dr_id)
            actions.perform(pair, Operation(operation), self.now(), body)
            self.record_call(Operation(operation), pair, "python-api")

    # ---- faults ---------------------------------------------------------------------------------
    def inject(self, fault: Fault | None = None, /, **spec: Any) -> Fault:
        """Add a fault: `inject(Fault(...))` or `inject(kind="error", operation="*", status=503, count=3)`."""
        if fault is None:
            fault = Fault.from_mapping(spec)
        return self.faults.add(fault, self.now())

    def unreachable(self, for_seconds: float | None = None, kind: FaultKind = FaultKind.RESET) -> Fault:
        """The whole API unreachable: every request reset (or, with kind='error', answered 503)."""
        return self.inject(Fault(kind=FaultKind(kind), status=503, for_seconds=for_seconds))

    def region_outage(self, region: str, *, at: datetime | None = None) -> list[str]:
        """A region gone: its API endpoint (every listener labelled `region`) resets every request,
        and every cluster in it is FAILED (sync freezes, the DR tasks turn abnormal, as seen from
        the other region). Returns the failed clusters' ids; `end_region_outage` undoes it."""
        at = at or self.now()
        self.faults.add(Fault(kind=FaultKind.RESET, region=region), at)
        failed = [c.id for c in list(self.clusters.values()) if c.region == region]
        for cluster_id in failed:
            self.fail_cluster(cluster_id, reason=f"region {region} outage (simulated)", at=at)
        return failed

    def end_region_outage(self, region: str, *, at: datetime | None = None) -> None:
        """The region back: its faults cleared, its clusters AVAILABLE."""
        for fault in self.faults.active(self.now()):
            if fault.region == region:
                self.faults.clear(fault.id)
        for cluster in [c for c in list(self.clusters.values()) if c.region == region]:
            self.recover_cluster(cluster.id, at=at)

    def clear_faults(self, fault_id: int | None = None) -> int:
        """Remove one fault or all, releasing any hanging request."""
        return self.faults.clear(fault_id)

    # ---- records --------------------------------------------------------------------------------
    def record_call(self, operation: Operation, pair: SimPair, request_id: str) -> None:
        call = ActionCall(operation, pair.disaster_recovery_id, pair.project_id, self.now(), request_id)
        self.records.record_call(call)

    def action_calls(self, operation: Operation | None = None, dr_id: str | None = None) -> list[ActionCall]:
        """Accepted action calls (failover, switchover, recovery, start, pause, update, delete)."""
        return self.records.calls(operation, dr_id)

    def failover_calls(self, dr_id: str | None = None) -> list[ActionCall]:
        """Accepted failover POSTs (rejected ones are not here): tests assert 'exactly one'."""
        return self.records.calls(Operation.SWITCH_FAILOVER_DISASTER, dr_id)

    def log_request(self, **fields_: Any) -> RequestRecord:
        return self.records.log_request(self.now(), **fields_)

    def requests(
        self, operation: str | None = None, project_id: str | None = None, since_seq: int = 0
    ) -> list[RequestRecord]:
        """The request log (oldest first), filtered; `since_seq` counts calls after a mark."""
        return self.records.requests(operation, project_id, since_seq)

    def request_seq(self) -> int:
        """A mark for `requests(since_seq=...)`."""
        return self.records.seq()

    # ---- timeline -------------------------------------------------------------------------------
    def schedule(self, offset_seconds: float, label: str, apply: Callable[[datetime], None]) -> None:
        """Run `apply(at)` when virtual time reaches start + offset (lazily, on the next request)."""
        with self.lock:
            self._timeline.add(self.started + timedelta(seconds=offset_seconds), label, apply)

    def _tick(self) -> datetime:
        """Apply due timeline events (each at its own time); returns now. Caller holds the lock."""
        now = self.now()
        self._timeline.run_due(now)
        return now

    def tick(self) -> datetime:
        with self.lock:
            return self._tick()

    # ---- snapshot -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything a test or an operator wants to see, as plain JSON-able data."""
        with self.lock:
            now = self._tick()
            pairs = []
            for pair in self.pairs.values():
                pair.advance(now)
                detail = self.renderer.dr_detail(pair, now)
                detail.update(project_id=pair.project_id, stalled=pair.stalled, failed_over=pair.failed_over)
                pairs.append(detail)
            return {
                "now": self.renderer.cluster_ts(now),
                "time_scale": self.clock.time_scale,
                "pairs": pairs,
                "clusters": [self.renderer.cluster_info(c, now) for c in self.clusters.values()],
                "faults": [f.describe() for f in self.faults.active(now)],
                "failover_calls": len(self.failover_calls()),
                "pending_events": self._timeline.labels(),
            }
