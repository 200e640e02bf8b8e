"""One probe round: an immutable Observation per pair, read through the DWS API per project, not per pair.

Cost: one DR list and one cluster list per project per round serve every pair in it. A pair costs
extra calls (DR detail and show-progress) only when the lists do not settle it: the DR task is not
plainly running, its production side or cluster is not plainly healthy, the list has no last-sync
time, or the list's role fields do not say that its `primary_cluster_*` is production. So a healthy
fleet of thousands of pairs costs two calls per project, and a pair in trouble gets the detail's
role-based view and per-cluster last_success_time, the authoritative inputs for a failover decision.

Orientation (which cluster is production) and the last-sync time: see `watchdog.probe_views`. In
short: production is named only by role-bearing data (the detail, or explicit list roles), and the
last sync of a pair in trouble is the recoverable point of the STANDBY side, the oldest of the
detail's standby last_success_time and show-progress's latest_barrier_time (never production's
last_success_time); a plainly healthy pair keeps the list's last_disaster_time (no extra calls).

Verdicts (positive evidence only for DOWN):
- PRODUCTION_CLUSTER: the cluster holding the primary role. FAILED/UNAVAILABLE, DELETED, or DWS's own
  "cluster does not exist" (DWS.0047, ResourceGoneError) -> DOWN; any other 404 (the gateway's
  APIGW.0101, a proxy's HTML page, another code) is UNKNOWN with its text;
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
from watchdog.dws.errors import AuthenticationError, DwsError, ResourceGoneError
from watchdog.dws.models import (
    ClusterInfo,
    ClusterStatus,
    DisasterRecovery,
    DisasterRecoveryDetail,
    DisasterRecoveryProgress,
    DrClusterStatus,
    DrStatus,
)
from watchdog.model import DrTaskView, Observation, Signal, SignalSource, Verdict
from watchdog.probe_auth import RefusalLog, first_refusal, refusal_text
from watchdog.probe_views import ROLES_AS_LISTED, last_sync_of, list_roles, task_view, unoriented, view

__all__ = ["PairRef", "Prober", "Read", "cluster_signal", "read", "task_signal", "task_view", "unseen"]

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
    """The outcome of one API read: a value, or the error text (never a secret: DwsError scrubs it).

    `not_found` is set only when DWS itself said the object does not exist (ResourceGoneError).
    """

    value: T | None = None
    error: str | None = None
    not_found: bool = False
    failure: DwsError | None = None  # the error itself, for what its text does not carry


async def read(call: Awaitable[T]) -> Read[T]:
    """Await a client call; a DwsError becomes its text, so one failed read never sinks the round.

    Only ResourceGoneError (DWS.0047 on a cluster read, DWS.10101 on a DR task read) sets
    `not_found`; any other 404 (the gateway's APIGW.0101, a proxy's page) is an error like any other.
    """
    try:
        return Read(await call)
    except ResourceGoneError as exc:
        return Read(error=str(exc), not_found=True, failure=exc)
    except DwsError as exc:
        return Read(error=str(exc), failure=exc)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=_HasId)


def indexed(listing: Read[list[Item]]) -> Read[dict[str, Item]]:
    """A list read turned into a read of the same items by id."""
    if listing.value is None:
        return Read(error=listing.error, failure=listing.failure)
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
        self._refusals = RefusalLog()

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
                project = ProjectRound(client, refs, now, self._detail_concurrency, self._clients)
                observations = await project.run()
        except TimeoutError:
            why = f"probe of project {project_id} timed out after {self._timeout:g} s"
            return {r.name: unseen(r, now, why) for r in refs}
        except Exception as exc:  # a bug must not take the round down: the pairs become UNKNOWN
            log.exception("probe of project %s failed", project_id)
            why = f"probe failed: {type(exc).__name__}"
            return {r.name: unseen(r, now, why) for r in refs}
        self._refusals.note(project_id, first_refusal(project.refusals))
        return observations


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
        self.refusals: list[AuthenticationError] = []  # the credentials/permissions refused this round

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
        needed = self.needs_detail(item)
        if needed:
            async with self._gate:
                detail, progress = await asyncio.gather(
                    read(self.client.show_disaster_recovery(ref.disaster_recovery_id)),
                    read(self.client.show_disaster_progress(ref.disaster_recovery_id)),
                )
        task = task_view(item, detail.value)
        task_error = detail.error or self.tasks.error or "DR task not in the list"
        if task is None and item is not None:
            task_error = unoriented(item, detail.error)
        production = await self.cluster(task.primary_cluster_id if task else None, task_error, item)
        standby = await self.cluster(task.standby_cluster_id if task else None, task_error, item)
        settled = self.tasks.error is None and not needed
        sync = last_sync_of(item, detail.value, progress.value, settled=settled)
        signals = (
            cluster_signal(SignalSource.PRODUCTION_CLUSTER, "production", production, self.now),
            task_signal(task, task_error, self.now),
            cluster_signal(SignalSource.DR_CLUSTER, "DR", standby, self.now),
        )
        rpo = progress.value.recovery_point_object if progress.value else None
        reads = (self.tasks, self.clusters, detail, progress, production, standby)
        refused = first_refusal(r.failure for r in reads)
        if refused is not None:
            self.refusals.append(refused)
        return Observation(
            ref.name, ref.disaster_recovery_id, self.now, signals, task, view(production.value),
            view(standby.value), sync.time, sync.known, rpo, sync.source,
            auth_error=refusal_text(refused) if refused is not None else None,
        )  # fmt: skip

    def needs_detail(self, item: DisasterRecovery | None) -> bool:
        """Whether the lists leave this pair unsettled (see the module docstring).

        Never when the DR list itself failed: per-pair reads against an API that is already failing
        would multiply the load on it by the number of pairs, and could not make the round less blind.
        """
        if self.tasks.error is not None:
            return False
        if item is None or item.last_disaster_time is None or list_roles(item) != ROLES_AS_LISTED:
            return True
        if item.status is not DrStatus.RUNNING or item.primary_cluster_status is DrClusterStatus.ABNORMAL:
            return True
        production = (self.clusters.value or {}).get(item.primary_cluster_id or "")
        return production is None or production.status is not ClusterStatus.AVAILABLE

    async def cluster(
        self, cluster_id: str | None, task_error: str, item: DisasterRecovery | None
    ) -> Read[ClusterInfo]:
        """A cluster from the list; one missing from a good list is looked up (only DWS.0047 is deletion)."""
        if cluster_id is None:
            return Read(error=f"which cluster is unknown: {task_error}")
        project = item.project_of(cluster_id) if item is not None else None
        if project is not None and project != self.client.project_id:
            return await self.foreign_cluster(cluster_id, project)
        if self.clusters.value is None:
            return Read(error=self.clusters.error, failure=self.clusters.failure)
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
        return Read(error=detail.error, not_found=detail.not_found, failure=detail.failure)


# ---- verdicts ----------------------------------------------------------------------------------
def cluster_signal(source: SignalSource, side: str, cluster: Read[ClusterInfo], now: datetime) -> Signal:
    """A cluster's status as evidence: FAILED/DELETED/DWS.0047 -> DOWN, AVAILABLE -> UP, else UNKNOWN."""
    if cluster.not_found:
        return Signal(source, Verdict.DOWN, f"{side} cluster does not exist (deleted): {cluster.error}", now)
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
        return Signal(
            source, Verdict.UNKNOWN, "DR task not read, or production not identified", now, error=task_error
        )
    status = DrStatus.parse(task.status)
    side = DrClusterStatus.parse(task.primary_status)
    text = f"DR task {task.status}, production side {task.primary_status}"
    if status is DrStatus.ABNORMAL and side is DrClusterStatus.ABNORMAL:
        return Signal(source, Verdict.DOWN, text, now)
    if status is DrStatus.UNKNOWN:
        return Signal(source, Verdict.UNKNOWN, text, now, error=f"unexpected DR status {task.status!r}")
    return Signal(source, Verdict.UNKNOWN, text + ": no evidence against production", now)
