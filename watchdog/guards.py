"""The guards of the pure decision core: each blocks a warranted failover with a named reason.

Pure like `watchdog.policy` (which imports it): no I/O, no clock, no environment; it imports
`watchdog.model` alone. The rules are written in `watchdog.policy`'s module docstring (the one place
operators read them) and in README's "How decisions are made".
"""

from __future__ import annotations

from datetime import datetime

from watchdog.model import ClusterView, Observation, PairState, Policy, Reason, ReasonCode

HEALTHY_CLUSTER_STATUSES = frozenset({"AVAILABLE", "ACTIVE"})
FAILOVER_TASK_STATUSES = frozenset({"running", "abnormal"})  # the API accepts a failover from these
SWITCHING_TASK_STATUS = "switchovering"
# A last successful sync later than the observation by more than this is implausible (a zone-less
# time read in the wrong zone, a wrong clock): the sync time is then unknown, never proof of life.
MAX_SYNC_SKEW_SECONDS = 300.0


# ---- helpers on numbers and versions -------------------------------------------------------------
def parse_version(text: str | None) -> tuple[int, ...] | None:
    """'8.2.1.220' -> (8, 2, 1, 220); None for an absent or unparseable version."""
    if not text:
        return None
    parts = text.strip().split(".")
    if not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def ts(value: datetime | None) -> float:
    """A point in time as Unix seconds (NaN for None: "not known" in a reason's values)."""
    return value.timestamp() if value is not None else float("nan")


def sync_ahead_seconds(obs: Observation) -> float | None:
    """How far the last sync lies after the observation, when beyond MAX_SYNC_SKEW_SECONDS; else None."""
    if obs.last_sync is None:
        return None
    ahead = (obs.last_sync - obs.observed_at).total_seconds()
    return ahead if ahead > MAX_SYNC_SKEW_SECONDS else None


def plausible_sync(obs: Observation) -> datetime | None:
    """The last successful sync, or None when it is unknown, never, or implausibly in the future."""
    return None if sync_ahead_seconds(obs) is not None else obs.last_sync


def recoverable_point(obs: Observation) -> datetime | None:
    """What the DR copy can be recovered to: the plausible last sync, or the newest heartbeat read on
    the DR side when that is older (the measured replication point; both exist: the older counts)."""
    sync = plausible_sync(obs)
    if sync is None or obs.heartbeat_at is None:
        return sync
    return min(sync, obs.heartbeat_at)


# ---- guards --------------------------------------------------------------------------------------
def _data_loss_guard(obs: Observation, first_down_at: datetime | None, policy: Policy) -> list[Reason]:
    limit = policy.max_data_loss_seconds
    if not obs.last_sync_known:
        return [Reason(ReasonCode.SYNC_UNKNOWN, "last successful DR sync unknown", {"limit_seconds": limit})]
    if obs.last_sync is None:
        return [Reason(ReasonCode.SYNC_UNKNOWN, "the DR pair never synced", {"limit_seconds": limit})]
    ahead = sync_ahead_seconds(obs)
    if ahead is not None:
        skew = MAX_SYNC_SKEW_SECONDS
        text = (
            f"last successful DR sync {ahead:.0f} s after the observation (more than the {skew:.0f} s "
            "skew allowed): implausible, so the sync time is unknown"
        )
        values = {"sync_ahead_seconds": ahead, "max_sync_skew_seconds": skew, "limit_seconds": limit}
        return [Reason(ReasonCode.SYNC_IMPLAUSIBLE, text, values)]
    point = recoverable_point(obs) or obs.last_sync
    loss = max(0.0, ((first_down_at or obs.observed_at) - point).total_seconds())
    if loss <= limit:
        return []
    values = {
        "expected_data_loss_seconds": loss,
        "max_data_loss_seconds": limit,
        "last_sync_at": ts(obs.last_sync),
        "first_down_at": ts(first_down_at),
    }
    source = obs.last_sync_source
    if point != obs.last_sync:  # the heartbeat read on the DR side is older than the API's sync time
        values["heartbeat_at"] = ts(point)
        source = "heartbeat (older than the API's sync time)"
    text = f"expected data loss {loss:.0f} s > limit {limit:.0f} s"
    text += f" (recoverable point: {source})" if source else ""
    return [Reason(ReasonCode.DATA_LOSS_EXCEEDED, text, values)]


def _dr_cluster_guard(cluster: ClusterView | None) -> list[Reason]:
    if cluster is None:
        return [Reason(ReasonCode.DR_CLUSTER_UNHEALTHY, "DR cluster not seen this round")]
    if cluster.status.upper() not in HEALTHY_CLUSTER_STATUSES:
        return [Reason(ReasonCode.DR_CLUSTER_UNHEALTHY, f"DR cluster {cluster.id} is {cluster.status}")]
    return []


def _dr_task_guard(obs: Observation, baseline: str | None) -> list[Reason]:
    task = obs.dr_task
    if task is None:
        return [Reason(ReasonCode.DR_TASK_STATE, "DR task not seen this round")]
    status = task.status.lower()
    if status == SWITCHING_TASK_STATUS:
        return [Reason(ReasonCode.SWITCH_IN_PROGRESS, "a DR switch is already in progress")]
    reasons = []
    if status not in FAILOVER_TASK_STATUSES:
        reasons.append(Reason(ReasonCode.DR_TASK_STATE, f"DR task is {task.status}: no failover from it"))
    if baseline is not None and task.primary_cluster_id != baseline:
        text = f"roles already swapped: production is {task.primary_cluster_id}, was {baseline}"
        reasons.append(Reason(ReasonCode.ROLES_SWAPPED, text))
    return reasons


def _version_guard(obs: Observation, policy: Policy) -> list[Reason]:
    """The DR cluster's version must be known and new enough; production's too when it is reported
    (an empty or blank production version is not reported: absent, like a deleted cluster's)."""
    reasons = []
    minimum = ".".join(str(p) for p in policy.min_version)
    for side, cluster, required in (("DR", obs.dr_cluster, True), ("production", obs.production, False)):
        text = cluster.version if cluster is not None else None
        if not required and (text is None or not text.strip()):
            continue
        version = parse_version(text)
        if version is None:
            reasons.append(Reason(ReasonCode.VERSION_UNKNOWN, f"{side} cluster version {text!r} unreadable"))
        elif version < policy.min_version:
            message = f"{side} cluster version {text} < {minimum}"
            reasons.append(Reason(ReasonCode.VERSION_TOO_OLD, message))
    return reasons


def _cooldown_guard(state: PairState, now: datetime) -> list[Reason]:
    until = state.cooldown_until
    if until is None or now >= until:
        return []
    left = (until - now).total_seconds()
    values = {"cooldown_remaining_seconds": left, "cooldown_until": ts(until)}
    return [Reason(ReasonCode.COOLDOWN, cooldown_text(left), values)]


def cooldown_text(left_seconds: float) -> str:
    """The message of `cooldown` (also restated by `status` for a run of DOWN rounds)."""
    return f"cooldown after the last failover: {left_seconds:.0f} s left"


def guards(obs: Observation, state: PairState, policy: Policy, now: datetime) -> list[Reason]:
    """Every guard that blocks a failover now (empty: all pass). `state` is this round's tracked state."""
    return [
        *_data_loss_guard(obs, state.first_down_at, policy),
        *_dr_cluster_guard(obs.dr_cluster),
        *_dr_task_guard(obs, state.baseline_primary_id),
        *_version_guard(obs, policy),
        *_cooldown_guard(state, now),
    ]
