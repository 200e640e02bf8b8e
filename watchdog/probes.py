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

Verdicts: see `watchdog.evidence.controlplane` (positive evidence only for DOWN).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from watchdog.clock import Clock, SystemClock
from watchdog.dws.client import DwsClient
from watchdog.dws.errors import AuthenticationError
from watchdog.dws.models import (
    ClusterInfo,
    ClusterStatus,
    DisasterRecovery,
    DisasterRecoveryDetail,
    DisasterRecoveryProgress,
    DrClusterStatus,
    DrStatus,
)
from watchdog.evidence.controlplane import Read, Sides, cluster_signal, indexed, read, task_signal
from watchdog.model import Observation, Signal, SignalSource, Verdict
from watchdog.probe_auth import RefusalLog, first_refusal, refusal_text
from watchdog.probe_views import ROLES_AS_LISTED, last_sync_of, list_roles, task_view, unoriented, view

__all__ = [
    "EvidenceStep",
    "PairRef",
    "Prober",
    "Read",
    "cluster_signal",
    "read",
    "task_signal",
    "task_view",
    "unseen",
]

log = logging.getLogger(__name__)
SIGNAL_ORDER = (SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER)


class EvidenceStep(Protocol):
    """The evidence step after the control-plane reads (`watchdog.evidence.gather.EvidenceProber`)."""

    @property
    def configured(self) -> bool: ...

    async def canaries(self, now: datetime) -> Signal | None: ...

    def unproven(self) -> Mapping[tuple[str, str], bool]: ...

    async def complete(
        self,
        observations: Mapping[str, Observation],
        sides: Mapping[str, Sides],
        now: datetime,
        canary: Awaitable[Signal | None] | None = None,
    ) -> dict[str, Observation]: ...


@dataclass(frozen=True)
class PairRef:
    """A watched pair: its name (the metric label), project and DR task id."""

    name: str
    project_id: str
    disaster_recovery_id: str


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
        evidence: EvidenceStep | None = None,
    ) -> None:
        self._clients = dict(clients)
        self.evidence = evidence if evidence is not None and evidence.configured else None
        self._pairs = [p if isinstance(p, PairRef) else PairRef(*p) for p in pairs]
        self._timeout = timeout
        self._detail_concurrency = detail_concurrency
        self._clock: Clock = clock or SystemClock()
        self._refusals = RefusalLog()

    async def probe_round(self, now: datetime) -> dict[str, Observation]:
        """One Observation per pair; projects are probed concurrently, each bounded by the timeout,
        then the evidence step (`watchdog.evidence.gather`) adds the data-plane signals."""
        projects: dict[str, list[PairRef]] = {}
        for ref in self._pairs:
            projects.setdefault(ref.project_id, []).append(ref)
        return await self._probe(projects, now)

    async def _probe(
        self, projects: Mapping[str, Sequence[PairRef]], now: datetime
    ) -> dict[str, Observation]:
        canary = asyncio.ensure_future(self.evidence.canaries(now)) if self.evidence else None
        try:
            results = await asyncio.gather(*(self._project(pid, refs, now) for pid, refs in projects.items()))
        except BaseException:  # cancelled (a stopping daemon): the canaries are not awaited any more
            if canary is not None:
                canary.cancel()
            raise
        observations = {name: obs for result, _ in results for name, obs in result.items()}
        if self.evidence is None:
            return observations
        sides = {name: side for _, found in results for name, side in found.items()}
        return await self.evidence.complete(observations, sides, now, canary)

    async def probe_pair(self, name: str, now: datetime | None = None) -> Observation:
        """One pair now (the `probe --pair` command); costs the same list calls as a round."""
        ref = next((p for p in self._pairs if p.name == name), None)
        if ref is None:
            raise KeyError(f"pair: no pair named {name!r}")
        result = await self._probe({ref.project_id: [ref]}, now or self._clock.now())
        return result[name]

    async def _project(
        self, project_id: str, refs: Sequence[PairRef], now: datetime
    ) -> tuple[dict[str, Observation], dict[str, Sides]]:
        """Every pair of one project, and the clusters each named (for the evidence step); a timeout
        or an unexpected failure makes them UNKNOWN, never DOWN."""
        client = self._clients.get(project_id)
        if client is None:
            return {r.name: unseen(r, now, f"no API client for project {project_id}") for r in refs}, {}
        try:
            async with asyncio.timeout(self._timeout):
                project = ProjectRound(client, refs, now, self._detail_concurrency, self._clients)
                observations = await project.run()
        except TimeoutError:
            why = f"probe of project {project_id} timed out after {self._timeout:g} s"
            return {r.name: unseen(r, now, why) for r in refs}, {}
        except Exception as exc:  # a bug must not take the round down: the pairs become UNKNOWN
            log.exception("probe of project %s failed", project_id)
            why = f"probe failed: {type(exc).__name__}"
            return {r.name: unseen(r, now, why) for r in refs}, {}
        self._refusals.note(project_id, first_refusal(project.refusals))
        return observations, project.sides


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
        self.sides: dict[str, Sides] = {}  # pair -> its clusters as read (the data-plane addresses)

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
        task_seconds = detail.seconds if detail.seconds is not None else self.tasks.seconds
        signals = (
            cluster_signal(SignalSource.PRODUCTION_CLUSTER, "production", production, self.now),
            task_signal(task, task_error, self.now, task_seconds),
            cluster_signal(SignalSource.DR_CLUSTER, "DR", standby, self.now),
        )
        rpo = progress.value.recovery_point_object if progress.value else None
        reads = (self.tasks, self.clusters, detail, progress, production, standby)
        refused = first_refusal(r.failure for r in reads)
        if refused is not None:
            self.refusals.append(refused)
        self.sides[ref.name] = Sides(
            task.primary_cluster_id if task else None, production.value,
            task.standby_cluster_id if task else None, standby.value,
        )  # fmt: skip
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
            return self.clusters_failed()
        found = self.clusters.value.get(cluster_id)
        if found is not None:
            return Read(found, seconds=self.clusters.seconds)
        return await self.lookup(self.client, cluster_id)

    def clusters_failed(self) -> Read[ClusterInfo]:
        return Read(error=self.clusters.error, failure=self.clusters.failure, seconds=self.clusters.seconds)

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
            return Read(detail.value, seconds=detail.seconds)
        return Read(
            error=detail.error, not_found=detail.not_found, failure=detail.failure, seconds=detail.seconds
        )
