"""What exists in the simulated cloud: projects' credentials and tokens, clusters and DR pairs.

`World` is the registry half of the simulator (the `Simulator` subclass adds what happens: faults,
records, the timeline and the API's views). It keeps per-project indexes so that one request touches
only the pairs and clusters of its own project, and a re-entrant lock that the whole simulator shares.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from dataclasses import fields
from datetime import datetime
from typing import Any

from watchdog.dws.signing import Credentials
from watchdog.simulator.model import UUID_PATTERN, DrStatus, PairTiming, SimCluster
from watchdog.simulator.pair import SimPair
from watchdog.simulator.vclock import VirtualClock

DEFAULT_VERSION = "8.2.1.220"
_TIMING_FIELDS = {f.name for f in fields(PairTiming)}


class World:
    """The registry of credentials, clusters and pairs, on a virtual clock. Thread-safe."""

    def __init__(
        self,
        time_scale: float = 1.0,
        *,
        start: datetime | None = None,
        region: str = "cn-north-4",
        seed: int | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = VirtualClock(time_scale, start)
        self.region = region
        self.started = self.clock.now()
        self._rng = random.Random(seed)
        self.credentials: dict[str, tuple[Credentials, str]] = {}
        self.tokens: dict[str, str] = {}
        self.pairs: dict[str, SimPair] = {}
        self.clusters: dict[str, SimCluster] = {}
        self._project_pairs: dict[str, dict[str, SimPair]] = defaultdict(dict)
        self._project_clusters: dict[str, dict[str, SimCluster]] = defaultdict(dict)
        self._cluster_pair: dict[str, SimPair] = {}

    # ---- time -----------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, seconds: float) -> datetime:
        """Jump the virtual clock; pairs catch up lazily on their next read."""
        return self.clock.advance(seconds)

    def set_time_scale(self, time_scale: float) -> None:
        self.clock.set_time_scale(time_scale)

    def new_uuid(self) -> str:
        """A UUID from the seeded generator (deterministic ids for a given seed)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # ---- set-up ---------------------------------------------------------------------------------
    def add_credentials(
        self, access_key: str, secret_key: str, project_id: str, security_token: str | None = None
    ) -> Credentials:
        """Register an AK/SK (temporary when a security token is given) for one project."""
        creds = Credentials(access_key, secret_key, security_token)
        with self.lock:
            self.credentials[access_key] = (creds, project_id)
        return creds

    def add_token(self, token: str, project_id: str) -> None:
        """Accept `X-Auth-Token: token` for one project (an IAM token the simulator pretends to issue)."""
        with self.lock:
            self.tokens[token] = project_id

    def add_cluster(
        self,
        project_id: str,
        name: str,
        version: str = DEFAULT_VERSION,
        cluster_id: str | None = None,
        region: str | None = None,
    ) -> SimCluster:
        with self.lock:
            cid = cluster_id or self.new_uuid()
            if cid in self.clusters:
                raise ValueError(f"cluster_id: {cid} already exists")
            index = len(self.clusters)
            cluster = SimCluster(
                id=cid,
                name=name,
                project_id=project_id,
                version=version,
                availability_zone=f"{region or self.region}{'abc'[index % 3]}",
                region=region or self.region,
                private_ip=f"192.168.{(index // 250) % 250}.{index % 250 + 2}",
                created=self.started,
                updated=self.started,
            )
            self.clusters[cid] = cluster
            self._project_clusters[project_id][cid] = cluster
            return cluster

    def add_pair(
        self,
        project_id: str,
        name: str | None = None,
        version: str = DEFAULT_VERSION,
        sync_interval_seconds: float = 300.0,
        *,
        status: DrStatus = DrStatus.RUNNING,
        disaster_recovery_id: str | None = None,
        primary_cluster_id: str | None = None,
        standby_cluster_id: str | None = None,
        standby_version: str | None = None,
        dr_sync_period: str | None = None,
        dr_type: str = "az",
        standby_project_id: str | None = None,
        standby_region: str | None = None,
        region: str | None = None,
        **timing: Any,
    ) -> SimPair:
        """Create two clusters and a DR task between them; `timing` takes any PairTiming field."""
        unknown = set(timing) - _TIMING_FIELDS
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]}: unknown pair option")
        pair_timing = PairTiming(sync_interval_seconds=sync_interval_seconds, **timing)
        if status not in DrStatus._value2member_map_:
            raise ValueError(f"status: unknown DR status {status!r}")
        status = DrStatus(status)
        with self.lock:
            ids = {
                "disaster_recovery_id": disaster_recovery_id,
                "primary_cluster_id": primary_cluster_id,
                "standby_cluster_id": standby_cluster_id,
            }
            self._check_new_ids(ids)
            dr_id = disaster_recovery_id or self.new_uuid()
            name = name or f"dr-{len(self.pairs) + 1}"
            primary = self.add_cluster(project_id, f"{name}-prod", version, primary_cluster_id, region)
            standby = self.add_cluster(
                standby_project_id or project_id,
                f"{name}-dr",
                standby_version or version,
                standby_cluster_id,
                standby_region,
            )
            pair = SimPair(
                dr_id=dr_id,
                name=name,
                project_id=project_id,
                primary=primary,
                standby=standby,
                timing=pair_timing,
                now=self.now(),
                status=status,
                dr_sync_period=dr_sync_period or _period_string(sync_interval_seconds),
                dr_type=dr_type,
            )
            self.register_pair(pair)
            return pair

    def register_pair(self, pair: SimPair) -> None:
        """Make a built pair visible from both clusters' projects."""
        with self.lock:
            self.pairs[pair.disaster_recovery_id] = pair
            for cluster in pair.clusters:
                self._project_pairs[cluster.project_id][pair.disaster_recovery_id] = pair
                self._cluster_pair[cluster.id] = pair

    def _check_new_ids(self, ids: dict[str, str | None]) -> None:
        """Given ids must be UUIDs (the API rejects anything else) and not yet taken."""
        given = [(key, value) for key, value in ids.items() if value is not None]
        for key, value in given:
            if not UUID_PATTERN.match(value):
                raise ValueError(f"{key}: not a UUID: {value!r}")
            if value in self.pairs or value in self.clusters:
                raise ValueError(f"{key}: {value} already exists")
        if len({value for _, value in given}) != len(given):
            raise ValueError(f"{given[-1][0]}: the same id is given twice")

    def add_pairs(self, project_id: str, count: int, prefix: str = "bulk", **options: Any) -> list[SimPair]:
        """Create `count` pairs cheaply (benchmarks): nothing runs until a pair is read."""
        return [self.add_pair(project_id, f"{prefix}-{i + 1}", **options) for i in range(count)]

    # ---- look-ups (callers hold the lock) -------------------------------------------------------
    def project_pairs(self, project_id: str) -> list[SimPair]:
        return list(self._project_pairs.get(project_id, {}).values())

    def project_clusters(self, project_id: str) -> list[SimCluster]:
        return list(self._project_clusters.get(project_id, {}).values())

    def pair_of_cluster(self, cluster_id: str) -> SimPair | None:
        return self._cluster_pair.get(cluster_id)


def _period_string(seconds: float) -> str:
    """A plausible dr_sync_period for an interval: whole minutes, at least 1m."""
    minutes = max(1, round(seconds / 60))
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}H"
    return f"{minutes}m"
