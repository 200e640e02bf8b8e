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
    DATA_PLANE = "data_plane"  # production's SQL endpoint (PostgreSQL wire protocol), when configured
    HEARTBEAT = "heartbeat"  # the heartbeat row written on production this round (UP) or not (UNKNOWN)
    DR_DATA_PLANE = "dr_data_plane"  # the DR cluster's SQL endpoint: a reference, never about production
    CANARY = "canary"  # the configured canary addresses: a reference (UP: one answered; DOWN: none did)
    # production's API endpoint, when it is not the one the DR task was read through (a cross-region
    # pair): UP it answered, DOWN unreachable (refused, reset, timed out, 5xx); never about the cluster
    PRODUCTION_API = "production_api"


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
    latency_seconds: float | None = None  # how long the read or probe took (None: not measured)


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
    `last_sync` is the point the DR copy can be recovered to: for a pair in trouble the oldest of the
    standby side's sync times (detail's standby last_success_time, progress latest_barrier_time),
    for a plainly healthy pair the list's last_disaster_time; `last_sync_source` names the field
    (None in journals written before it). None means never synced or not known (`last_sync_known`).
    `late_seconds` is set by the rounds when the round started far later than its schedule (the
    process was frozen or starved): the policy then discards the round's evidence (`round_late`).
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
    last_sync_source: str | None = None
    auth_error: str | None = None  # the API refused our credentials/permissions: "401 APIGW.0301 ..."
    late_seconds: float | None = None  # the round began this much later than scheduled: evidence void
    heartbeat_at: datetime | None = None  # newest heartbeat row read on the DR side: the measured sync point


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
    max_down_gap_seconds: float | None = 300.0  # None: no limit (journals written before it existed)
    # A decision acts only on an observation younger than this at decision time; None: no bound
    # (journals and replays from before it; settings derive probe_interval + cloud.timeout).
    max_observation_age_seconds: float | None = None
    # The quorum may be tightened, never loosened (watchdog.verdict): a DOWN round also needs
    # production's data plane DOWN (`require_data_plane`) / the DR task abnormal on production's side.
    require_data_plane: bool = False
    require_dr_task: bool = False


# ---- decisions --------------------------------------------------------------------------------------
class State(StrEnum):
    """The pair's state as one decision sees it. The values are metric label values: never rename."""

    HEALTHY = "healthy"
    SUSPECT = "suspect"  # production seen DOWN, the confirmation window not yet closed
    FAILOVER_WARRANTED = "failover_warranted"  # confirmed outage, every guard passes
    BLOCKED = "blocked"  # confirmed outage, a guard blocks the failover (the reasons say which)
    FAILING_OVER = "failing_over"  # a failover intent is open (submitted, being tracked or unresolved)
    FAILED_OVER = "failed_over"  # latched after a failover until an operator acks
    PAUSED = "paused"  # maintenance: probes and records go on, no automatic action
    UNKNOWN = "unknown"  # this round could not tell whether production is up
    FAILOVER_FAILED = "failover_failed"  # latched after a refused or failed failover until an ack


class Action(StrEnum):
    """What the caller of the policy should do this round."""

    NONE = "none"
    RECOMMEND = "recommend"  # raise "failover warranted" (metrics, status, notifications); no API call
    FAILOVER = "failover"  # journal an intent and call the failover API
    TRACK = "track"  # a failover is in flight: keep tracking it, start nothing new


class ReasonCode(StrEnum):
    """Named facts and guards behind a decision. Stored in the journal and used as metric labels."""

    # facts about this round
    PRODUCTION_UP = "production_up"
    PRODUCTION_DOWN = "production_down"
    PRODUCTION_UNKNOWN = "production_unknown"
    SIGNALS_CONFLICT = "signals_conflict"  # some evidence says UP, some DOWN: a gray failure, not DOWN
    DEGRADED = "degraded"  # sub_status DEGRADED/READONLY/UNBALANCED...: reported, not down
    CONFIRMING = "confirming"  # DOWN, the confirmation window still open
    OUTAGE_CONFIRMED = "outage_confirmed"
    OUTAGE_RESTARTED = "outage_restarted"  # DOWN after too long without a DOWN round: counted afresh
    DR_REPLICATION_BROKEN = "dr_replication_broken"  # production up, the DR task abnormal: no working DR
    REARMED = "rearmed"  # the first DOWN round after a pause ended or an ack: counted afresh
    OBSERVATION_STALE = "observation_stale"  # older than max_observation_age at decision: discarded
    ROUND_LATE = "round_late"  # the round started far later than scheduled: its evidence discarded
    GRAY_FAILURE = "gray_failure"  # control plane and data plane of production disagree: no failover
    ISOLATED = "isolated"  # the watchdog reached none of its references this round: every verdict UNKNOWN
    # guards (each blocks a warranted failover)
    DATA_LOSS_EXCEEDED = "data_loss_exceeded"
    SYNC_UNKNOWN = "sync_unknown"  # last successful sync unknown or never: the data loss is unbounded
    DR_CLUSTER_UNHEALTHY = "dr_cluster_unhealthy"
    DR_TASK_STATE = "dr_task_state"
    VERSION_TOO_OLD = "version_too_old"
    VERSION_UNKNOWN = "version_unknown"
    COOLDOWN = "cooldown"
    LATCHED = "latched"
    PAUSED = "paused"
    MODE_OBSERVE = "mode_observe"
    MODE_RECOMMEND = "mode_recommend"
    ROLES_SWAPPED = "roles_swapped"
    SWITCH_IN_PROGRESS = "switch_in_progress"
    INTENT_OPEN = "intent_open"  # a failover intent is in flight or unresolved
    SYNC_IMPLAUSIBLE = "sync_implausible"  # last sync later than the observation beyond the skew: unknown
    NOT_LEADER = "not_leader"  # HA: another instance holds the leadership and acts (or none may)
    GLOBAL_BRAKE = "global_brake"  # max automatic failovers across all pairs reached: until `brake reset`
    # readiness (watchdog.readiness): would an automatic failover go through if production died now
    CREDENTIALS_FAILING = "credentials_failing"  # the API refused our credentials the last round
    # manual failovers (CLI)
    MANUAL = "manual"
    FORCED = "forced"
    PRODUCTION_NOT_DOWN = "production_not_down"  # a manual failover refused: production not DOWN
    # failover outcomes (the executor)
    FAILOVER_ABORTED = "failover_aborted"  # re-read right before the POST: not down any more, or roles moved
    FAILOVER_FAILED = "failover_failed"  # the latest failover was refused by the API or failed: latched


@dataclass(frozen=True)
class Reason:
    """One reason with the numbers behind it, e.g. data_loss_exceeded with expected 4012 s, limit 3600 s.

    `values` holds numbers only (seconds, counts; points in time as Unix seconds) so they can go to
    metrics, JSON and alert texts unchanged.
    """

    code: ReasonCode
    message: str
    values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What the policy decided for one pair in one round, with everything needed to explain and replay it.

    `rule` is the reason that decided the state (the first of `reasons`); `observed_at` references the
    observation it was made from (the journal stores that observation beside it).
    """

    pair: str
    at: datetime
    state: State
    action: Action
    rule: ReasonCode
    reasons: tuple[Reason, ...]
    verdict: Verdict
    consecutive_down: int
    first_down_at: datetime | None
    expected_data_loss_seconds: float | None
    policy: Policy
    observed_at: datetime
    manual: bool = False

    def reason(self, code: ReasonCode) -> Reason | None:
        """The reason with this code, if the decision has one."""
        return next((r for r in self.reasons if r.code is code), None)

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


# ---- pair state, pauses and intents ----------------------------------------------------------------
class IntentStatus(StrEnum):
    """Lifecycle of one failover intent; values are stored in the journal.

    intended -> submitted -> completed | failed; `unknown` when we cannot tell whether the API took
    the request (it stays open until the DR task shows the answer or an operator acks).
    """

    INTENDED = "intended"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        return self in (IntentStatus.COMPLETED, IntentStatus.FAILED)


@dataclass(frozen=True)
class Pause:
    """A maintenance pause: who, why, since when, until when (None = until `resume`)."""

    reason: str
    owner: str
    since: datetime
    until: datetime | None = None
    pair: str | None = None  # None: every pair

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class Brake:
    """The fleet-wide brake on automatic failovers, as one decision sees it (watchdog.brake).

    `failovers`: when each automatic failover since the last `brake reset` was decided (the journal's
    automatic intents that were or may be sent, plus this round's FAILOVER decisions of pairs decided
    before this one). `tripped_at`: when the brake first blocked a failover since the last reset; it
    then blocks every automatic failover until the reset, whatever the window.
    """

    max_failovers: int
    window_seconds: float
    failovers: tuple[datetime, ...] = ()
    tripped_at: datetime | None = None


@dataclass(frozen=True)
class PairState:
    """What the policy remembers between rounds for one pair (anti-flapping is state, not sleeps).

    `baseline_primary_id` is the production cluster id remembered while production was seen (so a
    role swap done by someone else is detectable). `latched` is set by a FAILOVER decision and cleared
    only by `ack` (or by the executor when the failover request was provably never sent).
    `pause`, `open_intent_*` and `last_intent_*` (the pair's newest intent, open or final: its status
    and detail, e.g. the API's error) are filled in by the journal from their own tables (so the CLI
    can pause, resume and ack beside a running daemon without either overwriting the other).
    """

    consecutive_down: int = 0
    first_down_at: datetime | None = None
    last_down_at: datetime | None = None
    last_up_at: datetime | None = None
    baseline_primary_id: str | None = None
    latched: bool = False
    latched_at: datetime | None = None
    cooldown_until: datetime | None = None
    pause: Pause | None = None
    open_intent_id: int | None = None
    open_intent_status: IntentStatus | None = None
    last_intent_status: IntentStatus | None = None
    last_intent_detail: str | None = None
    # The outage's duration as seen: the sum of the steps between its consecutive DOWN rounds, each
    # clamped to [0, 2 probe intervals], so a wall-clock step (or a frozen process) cannot stretch
    # or shrink the confirmation window by more than that (journals from before: derived on load).
    outage_seconds: float = 0.0
    # A pause or the latch held a round since the last unheld UP/DOWN round: the next unheld DOWN
    # round counts its outage afresh (`rearmed`), so a pause that ends or an ack never fails over at once.
    rearm: bool = False


@dataclass(frozen=True)
class FailoverIntent:
    """One failover attempt, as journaled before the API is called.

    `sent_at` is written durably right before the POST: an intent without it was provably never sent.
    `leader_term` is the fencing token of the instance that made it (roadmap: HA; None for now).
    """

    id: int
    pair: str
    disaster_recovery_id: str
    status: IntentStatus
    created_at: datetime
    old_primary_id: str | None
    old_standby_id: str | None
    manual: bool = False
    forced: bool = False
    requested_by: str = "watchdog"
    decision_id: int | None = None
    first_down_at: datetime | None = None
    expected_data_loss_seconds: float | None = None
    sent_at: datetime | None = None
    submitted_at: datetime | None = None
    finished_at: datetime | None = None
    acked_at: datetime | None = None
    leader_term: int | None = None
    request_id: str | None = None
    detail: str | None = None
