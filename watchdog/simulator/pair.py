"""One DR pair's state machine, advanced lazily on the virtual clock.

Nothing runs in the background: every read first calls `advance(now)`, which applies the scheduled
transitions that are due (in time order, each at its own virtual time), and the sync history is pure
arithmetic on the cycle grid. Thousands of idle pairs therefore cost nothing, and a pair read after an
hour of silence is exactly where a continuously running machine would be.

Sync cycles start every `sync_interval_seconds` on a grid anchored at the pair's creation. A cycle
succeeds when it completes while sync is possible (DR running, both clusters healthy, not stalled)
and it started after sync last became possible; its consistency point (the cycle start) becomes the
last successful sync.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchdog.simulator.model import (
    ClusterState,
    DrStatus,
    FailoverOutcome,
    PairTiming,
    SideStatus,
    SimCluster,
)

MIN_FAILOVER_VERSION = (8, 1, 2)
_SEQ = itertools.count()


class Rejected(Exception):
    """An API call refused in the current state; carries the HTTP status and the (invented) error code."""

    def __init__(self, status: int, error_code: str, error_msg: str) -> None:
        super().__init__(f"{status} {error_code}: {error_msg}")
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg


# Invented codes (the real ones are undocumented, dws-api.md section 9); docs/simulator.md lists them.
STATE_REJECTED = "DWS.10110"
VERSION_REJECTED = "DWS.10111"
SWITCH_IN_PROGRESS = "DWS.10112"
RECOVERY_REJECTED = "DWS.10113"
INVALID_FORMAT = "DWS.5065"


def version_tuple(version: str) -> tuple[int, ...]:
    """Dotted version as integers; unparsable parts count as 0 so a garbage version is 'too old'."""
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


@dataclass(frozen=True)
class SyncPhase:
    """Where the cycle grid stands at some instant: cycle index and offset into it (seconds)."""

    index: int
    offset: float


class SimPair:
    """A DR task between two clusters; `clusters[primary_idx]` currently holds the production role."""

    def __init__(
        self,
        *,
        dr_id: str,
        name: str,
        project_id: str,
        primary: SimCluster,
        standby: SimCluster,
        timing: PairTiming,
        now: datetime,
        status: DrStatus = DrStatus.RUNNING,
        dr_sync_period: str = "5m",
        dr_type: str = "az",
        history: bool = True,
    ) -> None:
        """`history`: the pair has existed (and synced) for one interval already; False for a task just
        created through the API."""
        self.disaster_recovery_id = dr_id
        self.name = name
        self.project_id = project_id
        self.clusters = [primary, standby]
        self.primary_idx = 0
        self.timing = timing
        self.dr_sync_period = dr_sync_period
        self.pending_sync_interval: float | None = None  # an updated dr_sync_period, from the next start
        self.dr_type = dr_type
        self.status = status
        self.sides = [SideStatus.STOPPED, SideStatus.STOPPED]
        age = timing.sync_interval_seconds if history else 0.0
        self.create_time = now - timedelta(seconds=age)
        self.start_time: datetime | None = self.create_time if status is DrStatus.RUNNING else None
        self.anchor = self.create_time
        self.ok_from: datetime | None = None
        self.last_success: datetime | None = None
        self.stalled = False
        self.failed_over = False
        self.busy = False  # an accepted action has not finished yet
        self.failover_outcome = FailoverOutcome.SUCCEED
        self._pending: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self._refresh_sync(self.create_time)

    # ---- identity -------------------------------------------------------------------------------
    @property
    def primary(self) -> SimCluster:
        return self.clusters[self.primary_idx]

    @property
    def standby(self) -> SimCluster:
        return self.clusters[1 - self.primary_idx]

    @property
    def primary_cluster_id(self) -> str:
        return self.primary.id

    @property
    def standby_cluster_id(self) -> str:
        return self.standby.id

    @property
    def initial_primary_cluster_id(self) -> str:
        """The production cluster at creation, whatever the roles are now."""
        return self.clusters[0].id

    @property
    def initial_standby_cluster_id(self) -> str:
        return self.clusters[1].id

    @property
    def gone(self) -> bool:
        return self.status is DrStatus.DELETED

    # ---- scheduling -----------------------------------------------------------------------------
    def schedule(self, at: datetime, fn: Callable[[datetime], None]) -> None:
        heapq.heappush(self._pending, (at, next(_SEQ), fn))

    def advance(self, now: datetime) -> None:
        """Apply every transition due by `now`, each at its own virtual time."""
        while self._pending and self._pending[0][0] <= now:
            at, _, fn = heapq.heappop(self._pending)
            fn(at)

    # ---- sync arithmetic ------------------------------------------------------------------------
    def _sync_possible(self) -> bool:
        return (
            self.status is DrStatus.RUNNING
            and self.primary.healthy
            and self.standby.healthy
            and not self.stalled
        )

    def _refresh_sync(self, at: datetime) -> None:
        """Open or close the sync window at `at` after anything that changes its preconditions."""
        if self._sync_possible() and self.ok_from is None:
            self.ok_from = at
        elif not self._sync_possible() and self.ok_from is not None:
            self.last_success = self.last_success_at(at)
            self.ok_from = None

    def phase(self, at: datetime) -> SyncPhase:
        offset = (at - self.anchor).total_seconds()
        interval = self.timing.sync_interval_seconds
        index = math.floor(offset / interval)
        return SyncPhase(index, offset - index * interval)

    def _first_cycle(self) -> int:
        assert self.ok_from is not None
        offset = (self.ok_from - self.anchor).total_seconds()
        return max(0, math.ceil(offset / self.timing.sync_interval_seconds - 1e-9))

    def cycle_start(self, index: int) -> datetime:
        return self.anchor + timedelta(seconds=index * self.timing.sync_interval_seconds)

    def last_success_at(self, at: datetime) -> datetime | None:
        """The consistency point of the newest cycle completed by `at` (None = never synced)."""
        if self.ok_from is None:
            return self.last_success
        shifted = at - timedelta(seconds=self.timing.cycle_seconds())
        newest = self.phase(shifted).index
        if (at - self.anchor).total_seconds() < self.timing.cycle_seconds() or newest < self._first_cycle():
            return self.last_success
        point = self.cycle_start(newest)
        return point if self.last_success is None else max(point, self.last_success)

    def running_sides(self, now: datetime) -> tuple[SideStatus, SideStatus]:
        """(production side, DR side) while running: backup, then restore, then both waiting."""
        if self.ok_from is None:
            if not self.standby.healthy:
                return SideStatus.WAITING, SideStatus.RESTORING
            return SideStatus.BACKUPING, SideStatus.WAITING
        phase = self.phase(now)
        half = self.timing.cycle_seconds() / 2
        if phase.index < self._first_cycle() or phase.offset >= 2 * half:
            return SideStatus.WAITING, SideStatus.WAITING
        if phase.offset < half:
            return SideStatus.BACKUPING, SideStatus.WAITING
        return SideStatus.WAITING, SideStatus.RESTORING

    def side_statuses(self, now: datetime) -> tuple[SideStatus, SideStatus]:
        if self.status is DrStatus.RUNNING:
            return self.running_sides(now)
        return self.sides[self.primary_idx], self.sides[1 - self.primary_idx]

    def set_sides(self, primary: SideStatus, standby: SideStatus) -> None:
        self.sides[self.primary_idx] = primary
        self.sides[1 - self.primary_idx] = standby

    def fault_sides(self) -> None:
        """Outside `running`: the side of an unhealthy cluster is abnormal, a healthy side stopped."""
        for i, cluster in enumerate(self.clusters):
            self.sides[i] = SideStatus.STOPPED if cluster.healthy else SideStatus.ABNORMAL

    def set_status(self, status: DrStatus, at: datetime) -> None:
        self.status = status
        self._refresh_sync(at)

    # ---- cluster health -------------------------------------------------------------------------
    def on_cluster_change(self, at: datetime) -> None:
        """A member cluster failed or recovered at `at`: freeze or resume sync; maybe turn abnormal."""
        self._refresh_sync(at)
        unhealthy = not (self.primary.healthy and self.standby.healthy)
        if unhealthy and self.status is DrStatus.RUNNING:
            self.schedule(at + timedelta(seconds=self.timing.abnormal_delay_seconds), self._go_abnormal)
        elif not unhealthy and self.status is DrStatus.ABNORMAL and not self.failed_over and not self.busy:
            self.set_status(DrStatus.RUNNING, at)  # guess: the service resumes DR by itself

    def _go_abnormal(self, at: datetime) -> None:
        if self.status is DrStatus.RUNNING and not (self.primary.healthy and self.standby.healthy):
            self.set_status(DrStatus.ABNORMAL, at)
            self.fault_sides()

    def set_stalled(self, stalled: bool, at: datetime) -> None:
        self.stalled = stalled
        self._refresh_sync(at)

    # ---- helpers for actions (the actions themselves live in actions.py) -------------------------
    def check_version(self) -> None:
        for cluster in self.clusters:
            if version_tuple(cluster.version)[:3] < MIN_FAILOVER_VERSION:
                raise Rejected(
                    400,
                    VERSION_REJECTED,
                    f"The cluster version {cluster.version} does not support this DR operation; "
                    "8.1.2 or later is required.",
                )

    def require(self, allowed: frozenset[DrStatus], operation: str) -> None:
        """Reject unless idle and in one of `allowed`; a running switch gets its own code."""
        if self.busy or self.status is DrStatus.SWITCHOVERING:
            raise Rejected(400, SWITCH_IN_PROGRESS, "A DR operation is already in progress.")
        if self.status not in allowed:
            raise Rejected(
                400, STATE_REJECTED, f"The DR status {self.status.value} does not allow the {operation}."
            )

    def after(self, at: datetime, seconds: float) -> datetime:
        return at + timedelta(seconds=seconds)

    def start_task(self, cluster: SimCluster, task: str, at: datetime, seconds: float) -> None:
        cluster.task_status = task
        cluster.task = (task, at, at + timedelta(seconds=seconds))
        cluster.updated = at

    @staticmethod
    def end_task(cluster: SimCluster, at: datetime) -> None:
        cluster.task = None
        cluster.task_status = None
        cluster.updated = at
        if cluster.state is ClusterState.CREATING:
            cluster.state = ClusterState.AVAILABLE
