"""The simulator's vocabulary: API enums, per-pair timing knobs and the records tests assert on.

Enum values are the exact strings the DWS API emits (dws-api.md section 3), so rendering is a
`.value` away and a typo cannot reach the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class DrStatus(StrEnum):
    """DR task status (dws-api.md 3.1), including `stopped`, which the SDK enum omits but the API emits."""

    CREATING = "creating"
    CREATE_FAILED = "create_failed"
    UNSTART = "unstart"
    STARTING = "starting"
    START_FAILED = "start_failed"
    RUNNING = "running"
    STOPPING = "stopping"
    STOP_FAILED = "stop_failed"
    STOPPED = "stopped"
    SWITCHOVERING = "switchovering"
    ABNORMAL = "abnormal"
    DELETING = "deleting"
    DELETED = "deleted"


class SideStatus(StrEnum):
    """Per-cluster DR status (dws-api.md 3.2)."""

    BACKUPING = "backuping"
    RESTORING = "restoring"
    WAITING = "waiting"
    STOPPED = "stopped"
    ABNORMAL = "abnormal"
    DR_DELETED = "drDeleted"


class ClusterState(StrEnum):
    """Cluster status (dws-api.md 3.4). AVAILABLE may be rendered as ACTIVE (a simulator option)."""

    CREATING = "CREATING"
    AVAILABLE = "AVAILABLE"
    FAILED = "FAILED"
    UNAVAILABLE = "UNAVAILABLE"
    DELETING = "DELETING"
    FROZEN = "FROZEN"


class Operation(StrEnum):
    """Every simulated route, named by the official SDK method that calls it."""

    LIST_DISASTER_RECOVER = "list_disaster_recover"
    SHOW_DISASTER_DETAIL = "show_disaster_detail"
    SHOW_DISASTER_PROGRESS = "show_disaster_progress"
    SWITCH_FAILOVER_DISASTER = "switch_failover_disaster"
    SWITCHOVER_DISASTER_RECOVERY = "switchover_disaster_recovery"
    RESTORE_DISASTER = "restore_disaster"
    START_DISASTER_RECOVERY = "start_disaster_recovery"
    PAUSE_DISASTER_RECOVERY = "pause_disaster_recovery"
    UPDATE_DISASTER_INFO = "update_disaster_info"
    DELETE_DISASTER_RECOVERY = "delete_disaster_recovery"
    CREATE_DISASTER_RECOVERY = "create_disaster_recovery"
    CHECK_DISASTER_NAME = "check_disaster_name"
    LIST_AVAILABLE_DISASTER_CLUSTERS = "list_available_disaster_clusters"
    LIST_CLUSTER_DETAILS = "list_cluster_details"
    LIST_CLUSTERS = "list_clusters"
    SHOW_CLUSTERS = "show_clusters"


ACTION_OPERATIONS = frozenset(
    {
        Operation.SWITCH_FAILOVER_DISASTER,
        Operation.SWITCHOVER_DISASTER_RECOVERY,
        Operation.RESTORE_DISASTER,
        Operation.START_DISASTER_RECOVERY,
        Operation.PAUSE_DISASTER_RECOVERY,
        Operation.UPDATE_DISASTER_INFO,
        Operation.DELETE_DISASTER_RECOVERY,
        Operation.CREATE_DISASTER_RECOVERY,
    }
)


class TimestampFormat(StrEnum):
    """How DR timestamps are written; the real format is undocumented (dws-api.md section 9)."""

    ISO_Z = "iso_z"  # 2024-01-02T03:04:05Z (default, the cluster API's documented format)
    ISO_MILLIS = "iso_millis"  # 2024-01-02T03:04:05.123Z
    ISO_OFFSET = "iso_offset"  # 2024-01-02T11:04:05+08:00
    SPACE = "space"  # 2024-01-02 03:04:05 (UTC, no zone)
    EPOCH_MILLIS = "epoch_millis"  # "1704164645000"


class FailoverOutcome(StrEnum):
    """What the next failovers of a pair do: succeed (roles swap) or fail (abnormal, no swap)."""

    SUCCEED = "succeed"
    FAIL = "fail"


@dataclass
class PairTiming:
    """Durations (virtual seconds) of one pair's DR machinery; every knob a test may want to shorten.

    `sync_interval_seconds` drives the simulated cycles and is independent of the `dr_sync_period`
    string the API reports, so a test can say "20m" and still sync every 2 s (until an update of
    `dr_sync_period` and the next start, which make the two agree).
    """

    sync_interval_seconds: float = 300.0
    sync_duration_seconds: float | None = None  # backup + restore; default: a third of the interval
    abnormal_delay_seconds: float = 60.0  # production failed -> DR task abnormal
    action_delay_seconds: float = 0.0  # POST accepted -> status leaves its old value
    switchover_seconds: float = 30.0  # `switchovering` during a planned switchover
    failover_seconds: float = 30.0  # `switchovering` during a failover
    promote_seconds: float = 10.0  # new primary shows task_status/action_progress after the swap
    recovery_seconds: float = 30.0  # DR_RECOVERING before `running`
    start_seconds: float = 10.0
    pause_seconds: float = 10.0
    delete_seconds: float = 10.0
    create_seconds: float = 10.0  # creating -> unstart, for tasks created through the API
    failover_final_status: DrStatus = DrStatus.ABNORMAL
    promote_task: str = "ELB_SWITCHING"
    swap_at_start: bool = False  # roles swap when `switchovering` begins instead of when it ends

    def __post_init__(self) -> None:
        self.failover_final_status = DrStatus(self.failover_final_status)
        if self.sync_interval_seconds <= 0:
            raise ValueError(f"sync_interval_seconds: must be > 0, got {self.sync_interval_seconds}")
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name.endswith("_seconds") and value is not None and value < 0:
                raise ValueError(f"{spec.name}: must be >= 0, got {value}")

    def cycle_seconds(self) -> float:
        """Length of one sync cycle, never longer than the interval."""
        if self.sync_duration_seconds is None:
            return self.sync_interval_seconds / 3.0
        return min(self.sync_duration_seconds, self.sync_interval_seconds)


@dataclass(frozen=True, slots=True)
class ActionCall:
    """One accepted action POST/PUT/DELETE, as the simulator recorded it (tests assert "exactly one")."""

    operation: Operation
    disaster_recovery_id: str
    project_id: str
    at: datetime
    request_id: str


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One API request as the simulator answered it (or did not: status 0 = reset or hang)."""

    seq: int
    at: datetime
    method: str
    path: str
    operation: str
    project_id: str | None
    status: int
    request_id: str
    fault: str | None = None
    region: str | None = None  # the listener's region label (None: an unlabelled listener)


@dataclass
class SimCluster:
    """One DWS cluster. `task` is (task name, virtual start, virtual end) while a task runs."""

    id: str
    name: str
    project_id: str
    version: str
    availability_zone: str
    private_ip: str
    created: datetime
    state: ClusterState = ClusterState.AVAILABLE
    sub_status: str = "NORMAL"
    task_status: str | None = None
    task: tuple[str, datetime, datetime] | None = None
    failed_reasons: dict[str, str] | None = None
    node_count: int = 3
    nodes_down: int = 0
    region: str = "cn-north-4"
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def healthy(self) -> bool:
        """Healthy means AVAILABLE; degraded sub-statuses still count as healthy."""
        return self.state is ClusterState.AVAILABLE
