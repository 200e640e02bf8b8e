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
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from watchdog.clock import Clock, SystemClock
from watchdog.dws.client import DwsClient
from watchdog.dws.errors import AuthenticationError, RequestTimeout
from watchdog.dws.models import (
    ClusterInfo,
    ClusterStatus,
    DisasterRecovery,
    DisasterRecoveryDetail,
    DisasterRecoveryProgress,
    DrClusterStatus,
    DrStatus,
)
from watchdog.evidence.controlplane import Read, Sides, api_signal, cluster_signal, indexed, read, task_signal
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
FOREIGN_SHARE = 0.6  # of the probe timeout: the wait for another endpoint's lists (the rest: details)


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
    """A watched pair: its name (the metric label), the clients key its DR task is read through
    (its project, or its DR side's endpoint), its DR task id, and the clients key of its production
    side when that is another endpoint (a cross-region pair; None: the same)."""

    name: str
    project_id: str
    disaster_recovery_id: str
    production_group: str | None = None


Lists = tuple[Read[dict[str, DisasterRecovery]], Read[dict[str, ClusterInfo]]]


class Prober:
    """Probes every pair; built with one client per group (an endpoint, or a project of one endpoint).

    Each group's two list calls run once per round and serve every pair with a side in it: requests
    grow with (endpoint, project) groups, not with pairs. A pair is observed through its DR task's
    group (the task, the DR cluster), and its production cluster through the group that hosts it
    (the DR task names each side's project), so a cross-region pair is seen through both endpoints.
    """

    def __init__(
        self,
        clients: Mapping[str, DwsClient],
        pairs: Iterable[tuple[str, str, str] | PairRef],
        *,
        timeout: float = 30.0,
        detail_concurrency: int = 8,
        clock: Clock | None = None,
        evidence: EvidenceStep | None = None,
        on_host: Callable[[str, str], None] | None = None,
    ) -> None:
        self._clients = dict(clients)
        self.evidence = evidence if evidence is not None and evidence.configured else None
        self._pairs = [p if isinstance(p, PairRef) else PairRef(*p) for p in pairs]
        self._timeout = timeout
        self._detail_concurrency = detail_concurrency
        self._clock: Clock = clock or SystemClock()
        self._refusals = RefusalLog()
        self._on_host = on_host  # (cluster id, group) as each round finds it: the executor's map

    async def probe_round(self, now: datetime) -> dict[str, Observation]:
        """One Observation per pair; groups are probed concurrently, each bounded by the timeout,
        then the evidence step (`watchdog.evidence.gather`) adds the data-plane signals."""
        return await self._probe(self._pairs, now)

    async def _probe(self, refs: Sequence[PairRef], now: datetime) -> dict[str, Observation]:
        groups: dict[str, list[PairRef]] = {}
        for ref in refs:
            groups.setdefault(ref.project_id, []).append(ref)
        used = set(groups) | {r.production_group for r in refs if r.production_group is not None}
        canary = asyncio.ensure_future(self.evidence.canaries(now)) if self.evidence else None
        loop = asyncio.get_running_loop()
        end = loop.time() + self._timeout  # one bound for a group's lists and details
        soon = loop.time() + self._timeout * FOREIGN_SHARE  # how long another group's lists are awaited
        lists = {g: asyncio.ensure_future(self._lists(g, end)) for g in used}
        try:
            work = (self._group(g, rs, lists, now, end, soon) for g, rs in groups.items())
            results = await asyncio.gather(*work)
        except BaseException:  # cancelled (a stopping daemon): the canaries are not awaited any more
            for pending in [canary, *lists.values()]:
                if pending is not None:
                    pending.cancel()
            raise
        for pending in lists.values():  # an endpoint nobody waits for any more (hung past `soon`)
            pending.cancel()
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
        result = await self._probe([ref], now or self._clock.now())
        return result[name]

    async def _lists(self, group: str, end: float) -> Lists:
        """A group's DR list and cluster list, bounded by the timeout (a hung endpoint is an
        unreachable one: its reads fail, the other groups' do not)."""
        client = self._clients.get(group)
        if client is None:
            why = f"no API client for {group}"
            return Read(error=why), Read(error=why)
        try:
            async with asyncio.timeout_at(end):
                tasks, clusters = await asyncio.gather(
                    read(client.list_disaster_recoveries()), read(client.list_clusters())
                )
        except TimeoutError:
            why = f"lists of {group} timed out after {self._timeout:g} s"
            failure = RequestTimeout("list", why)
            return Read(error=why, failure=failure), Read(error=why, failure=failure)
        return indexed(tasks), indexed(clusters)

    async def _group(
        self,
        group: str,
        refs: Sequence[PairRef],
        lists: Mapping[str, asyncio.Future[Lists]],
        now: datetime,
        end: float,
        soon: float,
    ) -> tuple[dict[str, Observation], dict[str, Sides]]:
        """Every pair whose DR task is read through this group, and the clusters each named (for
        the evidence step); a timeout or an unexpected failure makes them UNKNOWN, never DOWN.

        The lists of the groups hosting its pairs' production clusters are awaited until `soon`
        only: a hung production endpoint (a region outage) then counts as unreachable, and this
        group still has the rest of the round for its own reads."""
        client = self._clients.get(group)
        if client is None:
            return {r.name: unseen(r, now, f"no API client for {group}") for r in refs}, {}
        foreign = {r.production_group for r in refs if r.production_group not in (None, group)}
        try:
            found: dict[str, Lists] = {group: await lists[group]}
            for other in foreign:
                found[other] = await _awaited(other, lists[other], soon)
            others = {g: (c, found.get(g)) for g, c in self._clients.items()}
            async with asyncio.timeout_at(end):
                project = ProjectRound(client, refs, now, self._detail_concurrency, others, group)
                observations = await project.run()
        except TimeoutError:
            why = f"probe of {group} timed out after {self._timeout:g} s"
            return {r.name: unseen(r, now, why) for r in refs}, {}
        except Exception as exc:  # a bug must not take the round down: the pairs become UNKNOWN
            log.exception("probe of %s failed", group)
            why = f"probe failed: {type(exc).__name__}"
            return {r.name: unseen(r, now, why) for r in refs}, {}
        self._refusals.note(group, first_refusal(project.refusals))
        if self._on_host is not None:
            for cluster_id, host in project.hosts.items():
                self._on_host(cluster_id, host)
        return observations, project.sides


async def _awaited(group: str, lists: asyncio.Future[Lists], until: float) -> Lists:
    """Another group's lists, or timed-out reads when they are not there by `until`."""
    try:
        async with asyncio.timeout_at(until):
            return await asyncio.shield(lists)
    except TimeoutError:
        why = f"lists of {group} did not answer in time"
        failure = RequestTimeout("list", why)
        return Read(error=why, failure=failure), Read(error=why, failure=failure)


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
        others: Mapping[str, DwsClient] | Mapping[str, tuple[DwsClient, Lists | None]] | None = None,
        group: str | None = None,
    ) -> None:
        self.client = client
        self.group = group or client.project_id
        self.others: dict[str, tuple[DwsClient, Lists | None]] = {
            key: (value if isinstance(value, tuple) else (value, None))
            for key, value in (others or {}).items()
        }
        self.refs = refs
        self.now = now
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self.tasks: Read[dict[str, DisasterRecovery]] = Read()
        self.clusters: Read[dict[str, ClusterInfo]] = Read()
        self.refusals: list[AuthenticationError] = []  # the credentials/permissions refused this round
        self.sides: dict[str, Sides] = {}  # pair -> its clusters as read (the data-plane addresses)
        self.hosts: dict[str, str] = {}  # cluster id -> the group hosting it, as the DR tasks say

    async def run(self) -> dict[str, Observation]:
        own = self.others.get(self.group, (self.client, None))[1]
        if own is None:
            tasks, clusters = await asyncio.gather(
                read(self.client.list_disaster_recoveries()), read(self.client.list_clusters())
            )
            own = indexed(tasks), indexed(clusters)
        self.tasks, self.clusters = own
        observations = await asyncio.gather(*(self.pair(ref) for ref in self.refs))
        return {obs.pair: obs for obs in observations}

    async def pair(self, ref: PairRef) -> Observation:
        """The Observation of one pair from the lists, plus detail/progress reads where they fall short."""
        item = (self.tasks.value or {}).get(ref.disaster_recovery_id)
        detail: Read[DisasterRecoveryDetail] = Read()
        progress: Read[DisasterRecoveryProgress] = Read()
        needed = self.needs_detail(ref, item)
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
        production, host = await self.cluster(
            ref, task.primary_cluster_id if task else None, task_error, item, "primary"
        )
        standby, _ = await self.cluster(
            ref, task.standby_cluster_id if task else None, task_error, item, "standby"
        )
        settled = self.tasks.error is None and not needed
        sync = last_sync_of(item, detail.value, progress.value, settled=settled)
        task_seconds = detail.seconds if detail.seconds is not None else self.tasks.seconds
        signals: tuple[Signal, ...] = (
            cluster_signal(SignalSource.PRODUCTION_CLUSTER, "production", production, self.now),
            task_signal(task, task_error, self.now, task_seconds),
            cluster_signal(SignalSource.DR_CLUSTER, "DR", standby, self.now),
        )
        api = self.production_api(host)
        signals += (api,) if api is not None else ()
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

    def needs_detail(self, ref: PairRef, item: DisasterRecovery | None) -> bool:
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
        production = self.listed(ref, item, item.primary_cluster_id or "")
        return production is None or production.status is not ClusterStatus.AVAILABLE

    def host(self, ref: PairRef, cluster_id: str, item: DisasterRecovery | None, role: str) -> str | None:
        """The group hosting a member cluster: the one whose project the DR task names for it (the
        pair's own groups first); without a project in the task, the pair's side for the role."""
        project = item.project_of(cluster_id) if item is not None else None
        mine = [g for g in (self.group, ref.production_group) if g is not None]
        if project is None or project == self.client.project_id:
            if project is None and role == "primary" and ref.production_group is not None:
                return ref.production_group
            return self.group
        for group in [*mine, *self.others]:
            entry = self.others.get(group)
            if entry is not None and entry[0].project_id == project:
                return group
        return None

    async def cluster(
        self, ref: PairRef, cluster_id: str | None, task_error: str, item: DisasterRecovery | None, role: str
    ) -> tuple[Read[ClusterInfo], str | None]:
        """A cluster from its host group's list; one missing from a good list is looked up (only
        DWS.0047 is deletion); and the host group."""
        if cluster_id is None:
            return Read(error=f"which cluster is unknown: {task_error}"), None
        host = self.host(ref, cluster_id, item, role)
        if host is None:
            project = item.project_of(cluster_id) if item is not None else None
            why = f"cluster {cluster_id} is in project {project}, which no configured client reaches"
            return Read(error=why), None
        self.hosts[cluster_id] = host
        client, lists = (
            (self.client, (self.tasks, self.clusters)) if host == self.group else self.others[host]
        )
        if lists is None:  # a client without this round's lists: one detail read
            return await self.lookup(client, cluster_id), host
        clusters = lists[1]
        if clusters.value is None:
            return Read(error=clusters.error, failure=clusters.failure, seconds=clusters.seconds), host
        found = clusters.value.get(cluster_id)
        if found is not None:
            return Read(found, seconds=clusters.seconds), host
        return await self.lookup(client, cluster_id), host

    def production_api(self, host: str | None) -> Signal | None:
        """PRODUCTION_API when production is hosted by another group than the DR task's."""
        if host is None or host == self.group:
            return None
        lists = self.others.get(host, (self.client, None))[1]
        if lists is None:
            return None
        return api_signal(host, lists, self.now)

    def listed(self, ref: PairRef, item: DisasterRecovery, cluster_id: str) -> ClusterInfo | None:
        """A cluster as its host group's list shows it this round (None: not listed, or unknown)."""
        host = self.host(ref, cluster_id, item, "primary")
        if host == self.group:
            return (self.clusters.value or {}).get(cluster_id)
        lists = self.others.get(host or "", (self.client, None))[1]
        return (lists[1].value or {}).get(cluster_id) if lists is not None else None

    async def lookup(self, client: DwsClient, cluster_id: str) -> Read[ClusterInfo]:
        """One cluster detail read (bounded by the per-round concurrency gate)."""
        async with self._gate:
            detail = await read(client.show_cluster(cluster_id))
        if detail.value is not None:
            return Read(detail.value, seconds=detail.seconds)
        return Read(
            error=detail.error, not_found=detail.not_found, failure=detail.failure, seconds=detail.seconds
        )
