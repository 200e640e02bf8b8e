"""JSON (de)serialisation of the decision vocabulary, in one place: journal, export and replay use it.

The encoding is plain JSON objects with ISO 8601 UTC timestamps and enum values as their strings, so
an exported timeline is readable, diffable and stable across versions. Decoding is strict: a field
of the wrong type raises `ValueError` naming it, never a half-read observation that could decide.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError

from watchdog.model import (
    Action,
    ClusterView,
    Decision,
    DrTaskView,
    IntentStatus,
    Mode,
    Observation,
    PairState,
    Pause,
    Policy,
    Reason,
    ReasonCode,
    Signal,
    SignalSource,
    State,
    Verdict,
)

Json = dict[str, Any]


# ---- encoding ------------------------------------------------------------------------------------
_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # exact types (an enum member is a subclass: it goes on below);
        return value  # the common case first: a round encodes 5,000 of these trees
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN: "not known" is null
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def observation_to_dict(obs: Observation) -> Json:
    out: Json = _plain(obs)
    return out


def decision_to_dict(decision: Decision) -> Json:
    out: Json = _plain(decision)
    return out


def policy_to_dict(policy: Policy) -> Json:
    out: Json = _plain(policy)
    return out


def dumps(data: Json) -> str:
    """Compact, key-sorted JSON (one line: a JSON-lines record)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


# The journal's bodies, encoded by pydantic-core's compiled serializer (about 6x faster than _plain and
# json.dumps: a round encodes 5,000 observations and decisions). The same JSON objects as `dumps`
# gives, keys in field order, times in ISO 8601 with "Z" for UTC, NaN as null; the same strict
# decoders below read both forms (tests/unit/test_codec_fast.py).
_OBSERVATION: TypeAdapter[Observation] = TypeAdapter(Observation)
_DECISION: TypeAdapter[Decision] = TypeAdapter(Decision)
_PAIR_STATE: TypeAdapter[PairState] = TypeAdapter(PairState)


def _fast(adapter: TypeAdapter[Any], value: Any) -> str:
    try:
        return adapter.dump_json(value).decode()
    except PydanticSerializationError as exc:  # what json.dumps raises for a value JSON cannot hold
        raise TypeError(f"not JSON-serialisable: {exc}") from None


def observation_json(obs: Observation) -> str:
    return _fast(_OBSERVATION, obs)


def decision_json(decision: Decision) -> str:
    return _fast(_DECISION, decision)


def pair_state_json(state: PairState) -> str:
    return _fast(_PAIR_STATE, state)


# ---- decoding ------------------------------------------------------------------------------------
def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
    if key not in data or data[key] is None:
        if optional:
            return None
        raise ValueError(f"{key}: required")
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{key}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
    return value


def _time(data: Mapping[str, Any], key: str, optional: bool = False) -> datetime | None:
    text = _get(data, key, str, optional)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{key}: not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise ValueError(f"{key}: time without a zone: {text!r}")
    return value


def _req_time(data: Mapping[str, Any], key: str) -> datetime:
    value = _time(data, key)
    assert value is not None
    return value


def _enum(data: Mapping[str, Any], key: str, kind: type[Any]) -> Any:
    text = _get(data, key, str)
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{key}: unknown value {text!r}") from None


def signal_from_dict(data: Mapping[str, Any]) -> Signal:
    return Signal(
        source=_enum(data, "source", SignalSource),
        verdict=_enum(data, "verdict", Verdict),
        detail=_get(data, "detail", str),
        observed_at=_req_time(data, "observed_at"),
        error=_get(data, "error", str, True),
        latency_seconds=_get(data, "latency_seconds", float, True),  # absent: recorded before it
    )


def _cluster(data: Mapping[str, Any] | None) -> ClusterView | None:
    if data is None:
        return None
    progress = _get(data, "action_progress", dict, True) or {}
    return ClusterView(
        id=_get(data, "id", str),
        name=_get(data, "name", str),
        status=_get(data, "status", str),
        sub_status=tuple(str(s) for s in _get(data, "sub_status", list, True) or ()),
        task_status=_get(data, "task_status", str, True),
        action_progress={str(k): str(v) for k, v in progress.items()},
        version=_get(data, "version", str, True),
        failed_reasons=_get(data, "failed_reasons", str, True),
    )


def _task(data: Mapping[str, Any] | None) -> DrTaskView | None:
    if data is None:
        return None
    opt = {k: _get(data, k, str, True) for k in ("primary_status", "standby_status", "primary_role")}
    opt |= {k: _get(data, k, str, True) for k in ("standby_role", "dr_sync_period")}
    return DrTaskView(
        id=_get(data, "id", str),
        name=_get(data, "name", str),
        status=_get(data, "status", str),
        primary_cluster_id=_get(data, "primary_cluster_id", str),
        standby_cluster_id=_get(data, "standby_cluster_id", str),
        **opt,
    )


def observation_from_dict(data: Mapping[str, Any]) -> Observation:
    """Strict: raises ValueError naming the field on any wrong or missing value."""
    return Observation(
        pair=_get(data, "pair", str),
        disaster_recovery_id=_get(data, "disaster_recovery_id", str),
        observed_at=_req_time(data, "observed_at"),
        signals=tuple(signal_from_dict(s) for s in _get(data, "signals", list)),
        dr_task=_task(_get(data, "dr_task", dict, True)),
        production=_cluster(_get(data, "production", dict, True)),
        dr_cluster=_cluster(_get(data, "dr_cluster", dict, True)),
        last_sync=_time(data, "last_sync", True),
        last_sync_known=bool(_get(data, "last_sync_known", bool, True)),
        rpo_seconds=_get(data, "rpo_seconds", float, True),
        last_sync_source=_get(data, "last_sync_source", str, True),
        auth_error=_get(data, "auth_error", str, True),
        late_seconds=_get(data, "late_seconds", float, True),
        heartbeat_at=_time(data, "heartbeat_at", True),  # absent: recorded before it
    )


def policy_from_dict(data: Mapping[str, Any]) -> Policy:
    return Policy(
        mode=_enum(data, "mode", Mode),
        probe_interval_seconds=_get(data, "probe_interval_seconds", float),
        failure_threshold=_get(data, "failure_threshold", int),
        min_outage_seconds=_get(data, "min_outage_seconds", float),
        max_data_loss_seconds=_get(data, "max_data_loss_seconds", float),
        cooldown_seconds=_get(data, "cooldown_seconds", float),
        min_version=tuple(int(p) for p in _get(data, "min_version", list)),
        max_down_gap_seconds=_get(data, "max_down_gap_seconds", float, True),  # absent: recorded before it
        max_observation_age_seconds=_get(data, "max_observation_age_seconds", float, True),  # the same
        require_data_plane=bool(_get(data, "require_data_plane", bool, True)),  # absent: recorded before
        require_dr_task=bool(_get(data, "require_dr_task", bool, True)),
    )


def reason_from_dict(data: Mapping[str, Any]) -> Reason:
    values = _get(data, "values", dict, True) or {}
    return Reason(
        code=_enum(data, "code", ReasonCode),
        message=_get(data, "message", str),
        values={str(k): float("nan") if v is None else float(v) for k, v in values.items()},
    )


def decision_from_dict(data: Mapping[str, Any]) -> Decision:
    return Decision(
        pair=_get(data, "pair", str),
        at=_req_time(data, "at"),
        state=_enum(data, "state", State),
        action=_enum(data, "action", Action),
        rule=_enum(data, "rule", ReasonCode),
        reasons=tuple(reason_from_dict(r) for r in _get(data, "reasons", list)),
        verdict=_enum(data, "verdict", Verdict),
        consecutive_down=_get(data, "consecutive_down", int),
        first_down_at=_time(data, "first_down_at", True),
        expected_data_loss_seconds=_get(data, "expected_data_loss_seconds", float, True),
        policy=policy_from_dict(_get(data, "policy", dict)),
        observed_at=_req_time(data, "observed_at"),
        manual=bool(_get(data, "manual", bool, True)),
    )


def loads(text: str) -> Json:
    """One JSON object; ValueError (not JSONDecodeError's subclass noise) if it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def pair_state_to_dict(state: PairState) -> Json:
    out: Json = _plain(state)
    return out


def _pause(data: Mapping[str, Any] | None) -> Pause | None:
    if data is None:
        return None
    return Pause(
        reason=_get(data, "reason", str),
        owner=_get(data, "owner", str),
        since=_req_time(data, "since"),
        until=_time(data, "until", True),
        pair=_get(data, "pair", str, True),
    )


def outage_seconds(recorded: float | None, first: datetime | None, last: datetime | None) -> float:
    """A pair state's outage duration as recorded; for a state written before it was recorded (None),
    the time from its first to its last DOWN round (what the confirmation measured then)."""
    if recorded is not None:
        return float(recorded)
    return max(0.0, (last - first).total_seconds()) if first is not None and last is not None else 0.0


def pair_state_from_dict(data: Mapping[str, Any]) -> PairState:
    status = _get(data, "open_intent_status", str, True)
    last = _get(data, "last_intent_status", str, True)
    first_down, last_down = _time(data, "first_down_at", True), _time(data, "last_down_at", True)
    return PairState(
        consecutive_down=_get(data, "consecutive_down", int),
        first_down_at=first_down,
        last_down_at=last_down,
        last_up_at=_time(data, "last_up_at", True),
        baseline_primary_id=_get(data, "baseline_primary_id", str, True),
        latched=bool(_get(data, "latched", bool, True)),
        latched_at=_time(data, "latched_at", True),
        cooldown_until=_time(data, "cooldown_until", True),
        pause=_pause(_get(data, "pause", dict, True)),
        open_intent_id=_get(data, "open_intent_id", int, True),
        open_intent_status=IntentStatus(status) if status is not None else None,
        last_intent_status=IntentStatus(last) if last is not None else None,
        last_intent_detail=_get(data, "last_intent_detail", str, True),
        outage_seconds=outage_seconds(_get(data, "outage_seconds", float, True), first_down, last_down),
        rearm=bool(_get(data, "rearm", bool, True)),
    )
