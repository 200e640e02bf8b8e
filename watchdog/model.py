"""The watchdog's vocabulary: frozen dataclasses and enums shared by probes, policy, executor and journal.

One `Observation` per pair per round is the immutable snapshot the policy decides on. It carries a
list of `Signal`s, each a piece of evidence with its source and verdict (up / down / unknown); the
per-round verdict on production is computed from that list by one function of the policy, so more
independent signals (data plane, heartbeat rows, quorum) can be added later without a rewrite.

This module imports nothing of the watchdog: the policy depends on it alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Verdict(StrEnum):
    """What one signal, or one round, says about a cluster."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


class SignalSource(StrEnum):
    """Where a piece of evidence came from. Extend, never rename: values are stored in the journal."""

    PRODUCTION_CLUSTER = "production_cluster"  # control plane: cluster status of the production side
    DR_TASK = "dr_task"  # control plane: the DR task's status and per-cluster status of production
    DR_CLUSTER = "dr_cluster"  # control plane: cluster status of the DR side
    DATA_PLANE = "data_plane"  # SQL endpoint probe (roadmap)
    HEARTBEAT = "heartbeat"  # heartbeat row written on production, read on DR (roadmap)


@dataclass(frozen=True)
class Signal:
    """One piece of evidence: its source, what it says, why, and when it was seen.

    `error` is set when the signal could not be read (then the verdict is UNKNOWN); it never holds a
    secret.
    """

    source: SignalSource
    verdict: Verdict
    detail: str
    observed_at: datetime
    error: str | None = None


@dataclass(frozen=True)
class ClusterView:
    """The fields of one cluster that decisions rest on, as the API reported them.

    `status` is the raw API string (AVAILABLE, ACTIVE, FAILED, UNAVAILABLE, ... or anything new);
    `sub_status` is already split on '|'. `version` is the dotted version string, or None if absent.
    """

    id: str
    name: str
    status: str
    sub_status: tuple[str, ...] = ()
    task_status: str | None = None
    action_progress: Mapping[str, str] = field(default_factory=dict)
    version: str | None = None
    failed_reasons: str | None = None


@dataclass(frozen=True)
class DrTaskView:
    """The DR task as last read: status, who is primary now, per-cluster DR status and roles.

    `primary_cluster_id` is the cluster that *currently* holds the production role (the API swaps
    `primary_cluster` and `standby_cluster` after a switch).
    """

    id: str
    name: str
    status: str
    primary_cluster_id: str
    standby_cluster_id: str
    primary_status: str | None = None
    standby_status: str | None = None
    primary_role: str | None = None
    standby_role: str | None = None
    dr_sync_period: str | None = None


@dataclass(frozen=True)
class Observation:
    """Everything seen about one pair in one round; immutable, passed down, never re-read mid-decision.

    `production` is the cluster that holds the primary role in the DR task; `dr_cluster` the standby.
    Any of them may be None when it could not be read; the signals say why.
    `last_sync` is the last successful DR sync (detail's last_success_time, else the list's
    last_disaster_time); None means never synced or not known (see `last_sync_known`).
    """

    pair: str
    disaster_recovery_id: str
    observed_at: datetime
    signals: tuple[Signal, ...]
    dr_task: DrTaskView | None = None
    production: ClusterView | None = None
    dr_cluster: ClusterView | None = None
    last_sync: datetime | None = None
    last_sync_known: bool = False
    rpo_seconds: float | None = None


class Mode(StrEnum):
    """observe records and exports; recommend also raises "failover warranted"; auto acts."""

    OBSERVE = "observe"
    RECOMMEND = "recommend"
    AUTO = "auto"


@dataclass(frozen=True)
class Policy:
    """The policy settings as the pure policy sees them (settings.py builds this from configuration).

    Every duration is in seconds.
    """

    mode: Mode = Mode.RECOMMEND
    probe_interval_seconds: float = 15.0
    failure_threshold: int = 4
    min_outage_seconds: float = 60.0
    max_data_loss_seconds: float = 3600.0
    cooldown_seconds: float = 86400.0
    min_version: tuple[int, ...] = (8, 1, 2)
