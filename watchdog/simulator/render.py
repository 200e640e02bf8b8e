"""JSON bodies exactly as the DWS API shapes them (dws-api.md sections 2 and 4).

All DR fields are strings (timestamps too), node status is a string of digits, `action_progress` is an
object and `failed_reasons` an object or null. Callers hold the simulator lock and have advanced the
pair to `now`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from watchdog.simulator.model import ClusterState, SimCluster, TimestampFormat
from watchdog.simulator.pair import SimPair

_OFFSET = timezone(timedelta(hours=8))


class Renderer:
    """Turns simulator objects into API JSON; owns the output options (timestamp format, ACTIVE)."""

    def __init__(self, timestamp_format: TimestampFormat = TimestampFormat.ISO_Z, emit_active: bool = False):
        self.timestamp_format = timestamp_format
        self.emit_active = emit_active
        self.overrides: dict[str, dict[str, Any]] = {}  # DR or cluster id -> {field or a.b path: value}

    def _patch(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply injected field overrides (odd values, unknown enums); dotted keys reach nested objects."""
        for key, value in self.overrides.get(object_id, {}).items():
            *parents, leaf = key.split(".")
            target: Any = body
            for parent in parents:
                target = target.get(parent) if isinstance(target, dict) else None
            if isinstance(target, dict):
                target[leaf] = value
        return body

    # ---- scalars --------------------------------------------------------------------------------
    def ts(self, value: datetime | None) -> str | None:
        """A DR timestamp in the configured format; None (JSON null) for 'never'."""
        if value is None:
            return None
        value = value.astimezone(UTC)
        match self.timestamp_format:
            case TimestampFormat.ISO_MILLIS:
                return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
            case TimestampFormat.ISO_OFFSET:
                return value.astimezone(_OFFSET).isoformat(timespec="seconds")
            case TimestampFormat.SPACE:
                return value.strftime("%Y-%m-%d %H:%M:%S")
            case TimestampFormat.EPOCH_MILLIS:
                return str(int(value.timestamp() * 1000))
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def cluster_ts(value: datetime) -> str:
        """Cluster `created`/`updated`: always the documented YYYY-MM-DDThh:mm:ssZ."""
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def cluster_status(self, cluster: SimCluster) -> str:
        if cluster.state is ClusterState.AVAILABLE and self.emit_active:
            return "ACTIVE"
        return cluster.state.value

    # ---- DR ---------------------------------------------------------------------------------------
    def dr_list_item(self, pair: SimPair, now: datetime) -> dict[str, Any]:
        primary_side, standby_side = pair.side_statuses(now)
        p, s = pair.primary, pair.standby
        return self._patch(
            pair.disaster_recovery_id,
            {
                "id": pair.disaster_recovery_id,
                "name": pair.name,
                "status": pair.status.value,
                "dr_type": pair.dr_type,
                "primary_cluster_id": p.id,
                "primary_cluster_name": p.name,
                "standby_cluster_id": s.id,
                "standby_cluster_name": s.name,
                "primary_cluster_role": "primary",
                "standby_cluster_role": "standby",
                "primary_cluster_status": primary_side.value,
                "standby_cluster_status": standby_side.value,
                "primary_cluster_region": p.region,
                "standby_cluster_region": s.region,
                "primary_cluster_project_id": p.project_id,
                "standby_cluster_project_id": s.project_id,
                "last_disaster_time": self.ts(pair.last_success_at(now)),
                "start_time": self.ts(pair.start_time),
                "create_time": self.ts(pair.create_time),
            },
        )

    def _dr_cluster(
        self, pair: SimPair, cluster: SimCluster, role: str, side: str, now: datetime
    ) -> dict[str, Any]:
        return {
            "id": cluster.id,
            "name": cluster.name,
            "cluster_az": cluster.availability_zone,
            "role": role,
            "region": cluster.region,
            "status": side,
            "progress": "100%" if side == "waiting" else "50%",
            "last_success_time": self.ts(pair.last_success_at(now)),
            "obs_bucket_name": f"dws-dr-{cluster.id[:8]}",
            "datastore_version": cluster.version,
            "datastore_type": "dws",
            "disk_capacity": "1000",
            "disk_used": "120",
        }

    def dr_detail(self, pair: SimPair, now: datetime) -> dict[str, Any]:
        primary_side, standby_side = pair.side_statuses(now)
        return self._patch(
            pair.disaster_recovery_id,
            {
                "id": pair.disaster_recovery_id,
                "name": pair.name,
                "dr_type": pair.dr_type,
                "status": pair.status.value,
                "primary_cluster": self._dr_cluster(pair, pair.primary, "primary", primary_side.value, now),
                "standby_cluster": self._dr_cluster(pair, pair.standby, "standby", standby_side.value, now),
                "dr_sync_period": pair.dr_sync_period,
                "start_time": self.ts(pair.start_time),
                "create_time": self.ts(pair.create_time),
            },
        )

    def dr_progress(self, pair: SimPair, now: datetime) -> dict[str, Any]:
        """show-progress: the newest cycle's backup/restore, the barrier and RPO = now - last good sync."""
        last = pair.last_success_at(now)
        timing = pair.timing
        half = timing.cycle_seconds() / 2
        index = max(0, pair.phase(now).index)
        if pair.ok_from is None and last is not None:
            index = pair.phase(last).index
        begin = pair.cycle_start(index)
        backup_end = begin + timedelta(seconds=half)
        restore_end = begin + timedelta(seconds=2 * half)
        key = f"{pair.disaster_recovery_id[:8]}-{index:06d}"
        restoring = pair.ok_from is not None and backup_end <= now < restore_end
        return {
            "primary_cluster": {
                "key": key,
                "action_type": "Backup",
                "unrestore_keys": key if restoring else "",
                "action_start_time": self.ts(begin),
                "action_end_time": self.ts(backup_end) if backup_end <= now else None,
            },
            "standby_cluster": {
                "key": key,
                "action_type": "Restore",
                "unrestore_keys": "",
                "action_start_time": self.ts(backup_end) if backup_end <= now else None,
                "action_end_time": self.ts(restore_end) if restore_end <= now else None,
            },
            "latest_barrier_time": self.ts(last),
            "last_recovery_spend": int(half),
            "recovery_point_object": None if last is None else int((now - last).total_seconds()),
            "recovery_time_object": int(timing.failover_seconds + timing.promote_seconds),
        }

    # ---- clusters -------------------------------------------------------------------------------
    def cluster_info(self, cluster: SimCluster, now: datetime) -> dict[str, Any]:
        """The ClusterInfo subset shared by the list and the detail."""
        port = 8000
        connect = f"{cluster.private_ip}:{port}"
        return self._patch(
            cluster.id,
            {
                "id": cluster.id,
                "name": cluster.name,
                "status": self.cluster_status(cluster),
                "sub_status": cluster.sub_status,
                "task_status": cluster.task_status,
                "action_progress": _progress(cluster, now),
                "version": cluster.version,
                "created": self.cluster_ts(cluster.created),
                "updated": self.cluster_ts(cluster.updated),
                "port": port,
                "endpoints": [
                    {"connect_info": connect, "jdbc_url": f"jdbc:postgresql://{connect}/<YOUR_DATABASE_name>"}
                ],
                "public_endpoints": [],
                "nodes": _nodes(cluster),
                "tags": [],
                "user_name": "dbadmin",
                "number_of_node": cluster.node_count,
                "recent_event": 0,
                "availability_zone": cluster.availability_zone,
                "enterprise_project_id": "0",
                "node_type": "dws.m3.xlarge",
                "vpc_id": "0f5bbd85-5c24-4d8c-9a8e-7e1a0f1f2d3c",
                "subnet_id": "4a6f1c2e-8b3d-4f5a-9c7e-1d2e3f4a5b6c",
                "public_ip": None,
                "security_group_id": "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e",
                "failed_reasons": cluster.failed_reasons,
            },
        )

    def cluster_detail(self, cluster: SimCluster, now: datetime) -> dict[str, Any]:
        body = self.cluster_info(cluster, now)
        body.update(
            {
                "private_ip": [cluster.private_ip],
                "node_type_id": "ebe532d6-665f-40e6-a4d4-3c51545b6a5e",
                "parameter_group": {
                    "id": "157e9cc4-64a8-11e8-adc0-fa7ae01bbebc",
                    "name": "Default",
                    "status": "In-Sync",
                },
                "maintain_window": {"day": "Wed", "start_time": "22:00", "end_time": "02:00"},
                "resize_info": None,
                "elb": None,
                "order_id": "",
            }
        )
        return self._patch(cluster.id, body)


def _progress(cluster: SimCluster, now: datetime) -> dict[str, str]:
    if cluster.task is None:
        return {}
    name, begin, end = cluster.task
    total = max((end - begin).total_seconds(), 1e-9)
    done = min(99, max(0, int(100 * (now - begin).total_seconds() / total)))
    return {name: f"{done}%"}


def _nodes(cluster: SimCluster) -> list[dict[str, str]]:
    return [
        {
            "id": f"{cluster.id[:24]}{i:012d}",
            "status": "300" if i < cluster.nodes_down else "200",
            "name": f"{cluster.name}-dws-cn-cn-{i + 1}-1",
        }
        for i in range(cluster.node_count)
    ]
