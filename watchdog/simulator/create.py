"""`POST /v2/{project_id}/disaster-recoveries`: a DR task created through the API (creating -> unstart).

The watchdog never creates DR tasks; this exists so the simulator covers the DR lifecycle of
dws-api.md section 8.4 and game days can build pairs the way operators do. The body is
`{"disaster_recovery": CreateDisasterRecovery}`; both clusters must exist, be AVAILABLE and not already
belong to a DR task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchdog.simulator.model import UUID_PATTERN, DrStatus, PairTiming, SimCluster
from watchdog.simulator.pair import INVALID_FORMAT, STATE_REJECTED, Rejected, SimPair

if TYPE_CHECKING:
    from watchdog.simulator.core import Simulator

IN_USE = "DWS.10114"  # invented: a cluster already belongs to a DR task
_PERIOD = re.compile(r"^([1-9][0-9]{0,3})([mHd])$")
_UNIT_SECONDS = {"m": 60, "H": 3600, "d": 86400}
REQUIRED = ("name", "dr_type", "primary_cluster_id", "standby_cluster_id", "dr_sync_period")


def period_seconds(period: str) -> float:
    """'20m' -> 1200.0; raises Rejected (400 DWS.5065) for anything but 1..3000 plus m/H/d."""
    match = _PERIOD.match(period)
    if match is None or not 1 <= int(match.group(1)) <= 3000:
        raise Rejected(400, INVALID_FORMAT, f"dr_sync_period: invalid value {period!r}.")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _field(spec: Mapping[str, Any], name: str) -> str:
    value = spec.get(name)
    if not isinstance(value, str) or not value:
        raise Rejected(400, "DWS.5037", f"{name}: the parameter does not exist or is empty.")
    return value


def _cluster(sim: Simulator, cluster_id: str, projects: set[str], now: datetime) -> SimCluster:
    if not UUID_PATTERN.match(cluster_id):
        raise Rejected(400, "DWS.0001", f"Invalid cluster ID: {cluster_id[:64]}")
    cluster = sim.clusters.get(cluster_id)
    if cluster is None or cluster.project_id not in projects:
        raise Rejected(404, "DWS.0047", "The cluster does not exist.")
    if not cluster.healthy:
        raise Rejected(400, STATE_REJECTED, f"The cluster status {cluster.state.value} does not allow DR.")
    owner = sim.pair_of_cluster(cluster_id)
    if owner is not None:
        owner.advance(now)
    if owner is not None and not owner.gone:
        raise Rejected(400, IN_USE, "The cluster already belongs to a disaster recovery task.")
    return cluster


NAME_TAKEN = "DWS.10115"  # invented: a DR task with this name exists in the project


def check_name(sim: Simulator, project_id: str, name: str, now: datetime) -> None:
    """check-name: 200 when no live task in the project has this name, else 400 (an invented code)."""
    for pair in sim.project_pairs(project_id):
        pair.advance(now)
        if pair.name == name and not pair.gone:
            raise Rejected(400, NAME_TAKEN, f"The disaster recovery name {name[:64]} already exists.")


def available_clusters(
    sim: Simulator, project_id: str, exclude: str | None, now: datetime
) -> list[dict[str, str]]:
    """disaster-recovery-clusters: AVAILABLE clusters of the project that no live DR task uses."""
    free = []
    for cluster in sim.project_clusters(project_id):
        owner = sim.pair_of_cluster(cluster.id)
        if owner is not None:
            owner.advance(now)
        in_use = owner is not None and not owner.gone
        if cluster.healthy and not in_use and cluster.id != exclude:
            free.append({"id": cluster.id, "name": cluster.name})
    return free


def create_pair(sim: Simulator, project_id: str, spec: Mapping[str, Any], now: datetime) -> SimPair:
    """Validate the body and register a `creating` task that becomes `unstart` after create_seconds."""
    values = {name: _field(spec, name) for name in REQUIRED}
    if values["dr_type"] not in ("az", "region"):
        raise Rejected(400, INVALID_FORMAT, f"dr_type: invalid value {values['dr_type']!r}.")
    standby_project = str(spec.get("standby_cluster_project_id") or project_id)
    primary = _cluster(sim, values["primary_cluster_id"], {project_id}, now)
    standby = _cluster(sim, values["standby_cluster_id"], {project_id, standby_project}, now)
    if primary is standby:
        raise Rejected(400, INVALID_FORMAT, "standby_cluster_id: must differ from primary_cluster_id.")
    timing = PairTiming(
        **{"sync_interval_seconds": period_seconds(values["dr_sync_period"]), **sim.create_timing}
    )
    pair = SimPair(
        dr_id=sim.new_uuid(),
        name=values["name"],
        project_id=project_id,
        primary=primary,
        standby=standby,
        timing=timing,
        now=now,
        status=DrStatus.CREATING,
        dr_sync_period=values["dr_sync_period"],
        dr_type=values["dr_type"],
        history=False,
    )
    pair.schedule(
        now + timedelta(seconds=timing.create_seconds), lambda t: pair.set_status(DrStatus.UNSTART, t)
    )
    sim.register_pair(pair)
    return pair
