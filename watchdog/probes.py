"""One probe round: an immutable Observation per pair, read through the DWS API per project, not per pair.

Cost: one DR list and one cluster list per project per round serve every pair in it. A pair costs
extra calls (DR detail and show-progress) only when the lists do not settle it: the DR task is not
plainly running, its production side or cluster is not plainly healthy, or the list has no last-sync
time. So a healthy fleet of thousands of pairs costs two calls per project, and a pair in trouble
gets the detail's role-based view and per-cluster last_success_time, the authoritative inputs for a
failover decision.

Verdicts (positive evidence only for DOWN):
- PRODUCTION_CLUSTER: the cluster holding the primary role. FAILED/UNAVAILABLE, DELETED or 404 -> DOWN;
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

import asyncio
import logging
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from watchdog.clock import Clock, SystemClock
from watchdog.dws.client import DwsClient
from watchdog.dws.errors import DwsError, NotFoundError
from watchdog.dws.models import (
    ClusterInfo,
    ClusterStatus,
    DisasterRecovery,
    DisasterRecoveryDetail,
    DisasterRecoveryProgress,
    DrClusterStatus,
    DrStatus,
)
from watchdog.model import ClusterView, DrTaskView, Observation, Signal, SignalSource, Verdict

log = logging.getLogger(__name__)
T = TypeVar("T")

DOWN_CLUSTER = frozenset({ClusterStatus.FAILED, ClusterStatus.DELETED})
NORMAL_SUB_STATUS = "NORMAL"
SIGNAL_ORDER = (SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER)


@dataclass(frozen=True)
class PairRef:
    """A watched pair: its name (the metric label), project and DR task id."""

    name: str
    project_id: str
    disaster_recovery_id: str


@dataclass(frozen=True)
class Read(Generic[T]):
    """The outcome of one API read: a value, or the error text (never a secret: DwsError scrubs it)."""

    value: T | None = None
    error: str | None = None
    not_found: bool = False


async def read(call: Awaitable[T]) -> Read[T]:
    """Await a client call; a DwsError becomes its text, so one failed read never sinks the round."""
    try:
        return Read(await call)
    except NotFoundError as exc:
        return Read(error=str(exc), not_found=True)
    except DwsError as exc:
        return Read(error=str(exc))


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=_HasId)


def indexed(listing: Read[list[Item]]) -> Read[dict[str, Item]]:
    """A list read turned into a read of the same items by id."""
    if listing.value is None:
        return Read(error=listing.error)
    return Read({item.id: item for item in listing.value})


class Prober:
    """Probes every pair; built with one client per project (a seam: a pair may get its own endpoint)."""

    def __init__(
        self,
        clients: Mapping[str, DwsClient],
        pairs: Iterable[tuple[str, str, str] | PairRef],
        *,
        timeout: float = 30.0,
        detail_concurrency: int = 8,
        clock: Clock | None = None,
    ) -> None:
        self._clients = dict(clients)
        self._pairs = [p if isinstance(p, PairRef) else PairRef(*p) for p in pairs]
        self._timeout = timeout
        self._detail_concurrency = detail_concurrency
        self._clock: Clock = clock or SystemClock()

    async def probe_round(self, now: datetime) -> dict[str, Observation]:
        """One Observation per pair; projects are probed concurrently, each bounded by the timeout."""
        projects: dict[str, list[PairRef]] = {}
        for ref in self._pairs:
            projects.setdefault(ref.project_id, []).append(ref)
        results = await asyncio.gather(*(self._project(pid, refs, now) for pid, refs in projects.items()))
        return {name: obs for result in results for name, obs in result.items()}

    async def probe_pair(self, name: str, now: datetime | None = None) -> Observation:
        """One pair now (the `probe --pair` command); costs the same list calls as a round."""
        ref = next((p for p in self._pairs if p.name == name), None)
        if ref is None:
            raise KeyError(f"pair: no pair named {name!r}")
        result = await self._project(ref.project_id, [ref], now or self._clock.now())
        return result[name]

    async def _project(
        self, project_id: str, refs: Sequence[PairRef], now: datetime
    ) -> dict[str, Observation]:
        """Every pair of one project; a timeout or an unexpected failure makes them UNKNOWN, never DOWN."""
        client = self._clients.get(project_id)
        if client is None:
            return {r.name: unseen(r, now, f"no API client for project {project_id}") for r in refs}
        try:
            async with asyncio.timeout(self._timeout):
                return await ProjectRound(client, refs, now, self._detail_concurrency, self._clients).run()
        except TimeoutError:
            why = f"probe of project {project_id} timed out after {self._timeout:g} s"
            return {r.name: unseen(r, now, why) for r in refs}
        except Exception as exc:  # a bug must not take the round down: the pairs become UNKNOWN
            log.exception("probe of project %s failed", project_id)
            why = f"probe failed: {type(exc).__name__}"
            return {r.name: unseen(r, now, why) for r in refs}


def unseen(ref: PairRef, now: datetime, why: str) -> Observation:
    """A pair that could not be probed at all: every signal UNKNOWN with the reason."""
    signals = tuple(Signal(s, Verdict.UNKNOWN, why, now, error=why) for s in SIGNAL_ORDER)
    return Observation(ref.name, ref.disaster_recovery_id, now, signals)


class ProjectRound:
    """The reads of one project in one round, and the Observation of each of its pairs."""

    def __init__(
        self,
        client: DwsClient,
        refs: Sequence[PairRef],
        now: datetime,
        concurrency: int,
        others: Mapping[str, DwsClient] | None = None,
    ) -> None:
        self.client = client
        self.others = others or {}
        self.refs = refs
        self.now = now
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self.tasks: Read[dict[str, DisasterRecovery]] = Read()
        self.clusters: Read[dict[str, ClusterInfo]] = Read()

    async def run(self) -> dict[str, Observation]:
        tasks, clusters = await asyncio.gather(
            read(self.client.list_disaster_recoveries()), read(self.client.list_clusters())
        )
        self.tasks, self.clusters = indexed(tasks), indexed(clusters)
        observations = await asyncio.gather(*(self.pair(ref) for ref in self.refs))
        return {obs.pair: obs for obs in observations}

    async def pair(self, ref: PairRef) -> Observation:
        """The Observation of one pair from the lists, plus detail/progress reads where they fall short."""
        item = (self.tasks.value or {}).get(ref.disaster_recovery_id)
        detail: Read[DisasterRecoveryDetail] = Read()
        progress: Read[DisasterRecoveryProgress] = Read()
        if self.needs_detail(item):
            async with self._gate:
                detail, progress = await asyncio.gather(
                    read(self.client.show_disaster_recovery(ref.disaster_recovery_id)),
                    read(self.client.show_disaster_progress(ref.disaster_recovery_id)),
                )
        task = task_view(item, detail.value)
        task_error = detail.error or self.tasks.error or "DR task not in the list"
        production = await self.cluster(task.primary_cluster_id if task else None, task_error, item)
        standby = await self.cluster(task.standby_cluster_id if task else None, task_error, item)
        last_sync, known = last_sync_of(
            item, detail.value, self.tasks.error is None or detail.value is not None
        )
        signals = (
            cluster_signal(SignalSource.PRODUCTION_CLUSTER, "production", production, self.now),
            task_signal(task, task_error, self.now),
            cluster_signal(SignalSource.DR_CLUSTER, "DR", standby, self.now),
        )
        rpo = progress.value.recovery_point_object if progress.value else None
        return Observation(
            ref.name, ref.disaster_recovery_id, self.now, signals, task, view(production.value),
            view(standby.value), last_sync, known, rpo,
        )  # fmt: skip

    def needs_detail(self, item: DisasterRecovery | None) -> bool:
        """Whether the lists leave this pair unsettled (see the module docstring).

        Never when the DR list itself failed: per-pair reads against an API that is already failing
        would multiply the load on it by the number of pairs, and could not make the round less blind.
        """
        if self.tasks.error is not None:
            return False
        if item is None or item.last_disaster_time is None or roles_swapped(item):
            return True
        if item.status is not DrStatus.RUNNING or item.primary_cluster_status is DrClusterStatus.ABNORMAL:
            return True
        production = (self.clusters.value or {}).get(item.primary_cluster_id or "")
        return production is None or production.status is not ClusterStatus.AVAILABLE

    async def cluster(
        self, cluster_id: str | None, task_error: str, item: DisasterRecovery | None
    ) -> Read[ClusterInfo]:
        """A cluster from the list; one missing from a good list is looked up, so a 404 proves deletion."""
        if cluster_id is None:
            return Read(error=f"which cluster is unknown: {task_error}")
        project = item.project_of(cluster_id) if item is not None else None
        if project is not None and project != self.client.project_id:
            return await self.foreign_cluster(cluster_id, project)
        if self.clusters.value is None:
            return Read(error=self.clusters.error)
        found = self.clusters.value.get(cluster_id)
        return Read(found) if found is not None else await self.lookup(self.client, cluster_id)

    async def foreign_cluster(self, cluster_id: str, project: str) -> Read[ClusterInfo]:
        """A member cluster in another project (cross-region DR): read through that project's client.

        Without one it is UNKNOWN: this project's API would answer 404 for it, which is no deletion.
        """
        client = self.others.get(project)
        if client is None:
            why = f"cluster {cluster_id} is in project {project}, which no configured client reaches"
            return Read(error=why)
        return await self.lookup(client, cluster_id)

    async def lookup(self, client: DwsClient, cluster_id: str) -> Read[ClusterInfo]:
        """One cluster detail read (bounded by the per-round concurrency gate)."""
        async with self._gate:
            detail = await read(client.show_cluster(cluster_id))
        if detail.value is not None:
            return Read(detail.value)
        return Read(error=detail.error, not_found=detail.not_found)


# ---- building the views ------------------------------------------------------------------------
def task_view(item: DisasterRecovery | None, detail: DisasterRecoveryDetail | None) -> DrTaskView | None:
    """The DR task; the detail (role-based, authoritative during a switch) wins over the list item."""
    if detail is not None and detail.primary_cluster is not None and detail.standby_cluster is not None:
        p, s = detail.primary_cluster, detail.standby_cluster
        return DrTaskView(
            detail.id, detail.name or "", detail.status_raw, p.id, s.id,
            p.status_raw or None, s.status_raw or None, p.role, s.role, detail.dr_sync_period,
        )  # fmt: skip
    if item is None or not item.primary_cluster_id or not item.standby_cluster_id:
        return None
    first = (item.primary_cluster_id, item.primary_cluster_status_raw or None, item.primary_cluster_role)
    second = (item.standby_cluster_id, item.standby_cluster_status_raw or None, item.standby_cluster_role)
    (p_id, p_status, p_role), (s_id, s_status, s_role) = (
        (second, first) if roles_swapped(item) else (first, second)
    )
    return DrTaskView(
        item.id, item.name or "", item.status_raw, p_id, s_id, p_status, s_status, p_role, s_role
    )


def roles_swapped(item: DisasterRecovery) -> bool:
    """Whether the list's `primary_cluster_*` fields name the cluster whose role is now standby.

    The docs only establish that the *detail* is role-based; if the list keeps the fields of the
    creation, the roles tell which cluster is production now.
    """
    return (item.primary_cluster_role or "").strip().lower() == "standby" and (
        item.standby_cluster_role or ""
    ).strip().lower() == "primary"


def view(cluster: ClusterInfo | None) -> ClusterView | None:
    """The model's ClusterView: the raw status string as the API gave it, sub_status split."""
    if cluster is None:
        return None
    return ClusterView(
        cluster.id, cluster.name or "", cluster.status_raw, cluster.sub_status, cluster.task_status,
        dict(cluster.action_progress), cluster.version, cluster.failed_reasons,
    )  # fmt: skip


def last_sync_of(
    item: DisasterRecovery | None, detail: DisasterRecoveryDetail | None, readable: bool
) -> tuple[datetime | None, bool]:
    """The current primary's last_success_time from the detail, else the list's last_disaster_time.

    Returns (time, known): known is False when neither source could be read; (None, True) means the
    API says it never synced.
    """
    primary = detail.primary_cluster if detail is not None else None
    if primary is not None and primary.last_success_time is not None:
        return primary.last_success_time, True
    if item is not None and item.last_disaster_time is not None:
        return item.last_disaster_time, True
    known = (detail is not None and primary is not None) or (item is not None and readable)
    return None, known


# ---- verdicts ----------------------------------------------------------------------------------
def cluster_signal(source: SignalSource, side: str, cluster: Read[ClusterInfo], now: datetime) -> Signal:
    """A cluster's status as evidence: FAILED/DELETED/404 -> DOWN, AVAILABLE -> UP, else UNKNOWN."""
    if cluster.not_found:
        return Signal(source, Verdict.DOWN, f"{side} cluster not found (deleted)", now)
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


def task_signal(task: DrTaskView | None, task_error: str, now: datetime) -> Signal:
    """DOWN when the DR task is abnormal on the production side; otherwise no evidence (see module doc)."""
    source = SignalSource.DR_TASK
    if task is None:
        return Signal(source, Verdict.UNKNOWN, "DR task not read", now, error=task_error)
    status = DrStatus.parse(task.status)
    side = DrClusterStatus.parse(task.primary_status)
    text = f"DR task {task.status}, production side {task.primary_status}"
    if status is DrStatus.ABNORMAL and side is DrClusterStatus.ABNORMAL:
        return Signal(source, Verdict.DOWN, text, now)
    if status is DrStatus.UNKNOWN:
        return Signal(source, Verdict.UNKNOWN, text, now, error=f"unexpected DR status {task.status!r}")
    return Signal(source, Verdict.UNKNOWN, text + ": no evidence against production", now)
