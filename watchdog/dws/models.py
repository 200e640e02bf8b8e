"""Typed, lenient models of the DWS DR and cluster API answers (dws-api.md sections 2 to 4).

Lenient where the service is vague, strict where a wrong reading could cause a wrong failover:
- unknown fields are ignored (the SDK does the same, and the service adds fields over time);
- an enum value we do not know maps to the UNKNOWN member, and the raw string is kept beside it
  (`status` and `status_raw`), so a new state is reported, never misread as a known one;
- AVAILABLE and ACTIVE are one state, FAILED and UNAVAILABLE too (the docs use both spellings);
- timestamps are parsed leniently (section 9 of the reference admits the format is unknown), but a
  value that is no timestamp at all is an error, not "never synced".
Every parse failure is a `ValueError` (pydantic's ValidationError is one); the client wraps it as
`MalformedResponseError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from watchdog.clock import utc

E = TypeVar("E", bound="_LenientEnum")


class _LenientEnum(StrEnum):
    """A StrEnum whose `parse` never fails: unknown or missing values become UNKNOWN."""

    @classmethod
    def parse(cls: type[E], value: object) -> E:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = " ".join(value.split()).lower()
            found = _lookup(cls, key)
            if found is not None:
                return found
        return cls["UNKNOWN"]


def _lookup(cls: type[E], key: str) -> E | None:
    key = _ALIASES.get(cls.__name__, {}).get(key, key)
    for member in cls:
        if member.value.lower() == key:
            return member
    return None


class DrStatus(_LenientEnum):
    """DR task status (section 3.1); `stopped` is real although the SDK enum omits it."""

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
    UNKNOWN = "unknown"


class DrClusterStatus(_LenientEnum):
    """Per-cluster DR status (section 3.2)."""

    BACKUPING = "backuping"
    RESTORING = "restoring"
    WAITING = "waiting"
    STOPPED = "stopped"
    ABNORMAL = "abnormal"
    DR_DELETED = "drDeleted"
    UNKNOWN = "unknown"


class ClusterStatus(_LenientEnum):
    """Cluster status (section 3.4); ACTIVE is read as AVAILABLE and UNAVAILABLE as FAILED."""

    CREATING = "CREATING"
    AVAILABLE = "AVAILABLE"
    FAILED = "FAILED"
    CREATE_FAILED = "CREATE_FAILED"
    DELETING = "DELETING"
    DELETE_FAILED = "DELETE_FAILED"
    DELETED = "DELETED"
    FROZEN = "FROZEN"
    POLICE_FROZEN = "POLICE_FROZEN"
    UNKNOWN = "UNKNOWN"


_ALIASES: dict[str, dict[str, str]] = {
    "ClusterStatus": {"active": "available", "unavailable": "failed", "creation failed": "create_failed"},
}


# ---------------------------------------------------------------------------------------- timestamps
_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?$")
_MS_THRESHOLD = 1e11  # 1e11 s is the year 5138; any epoch value above it is milliseconds
_NEVER = frozenset({"", "null", "none"})


def parse_timestamp(value: object) -> datetime | None:
    """A timestamp in any form the service might use, as aware UTC; None means "never" (empty/null/0).

    Accepts ISO 8601 with or without `Z`, fractions or offsets, a space instead of `T`, and epoch
    seconds or milliseconds as a number or a numeric string. No zone means UTC. Raises ValueError
    for anything else: garbage must not read as "never synced".
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    if not isinstance(value, str):
        return _from_epoch(float(value))
    text = value.strip()
    if text.lower() in _NEVER:
        return None
    if _NUMERIC.match(text):
        return _from_epoch(float(text))
    return _from_iso(text)


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("epoch timestamp out of range")
    if seconds == 0:
        return None
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("epoch timestamp out of range") from exc


def _from_iso(text: str) -> datetime:
    for suffix in (" UTC", " GMT", "Z", "z"):
        if text.upper().endswith(suffix.upper()) and len(text) > len(suffix):
            text = text[: -len(suffix)].rstrip() + "+00:00"
            break
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"not a timestamp: {text[:40]!r}") from exc


# ------------------------------------------------------------------------------------ field helpers
def split_sub_status(value: object) -> tuple[str, ...]:
    """`"DEGRADED | UNBALANCED"` -> ("DEGRADED", "UNBALANCED"); empty parts dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split("|") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(p for item in value for p in split_sub_status(str(item)))
    raise ValueError("sub_status is not a string")


def _progress(value: object) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    raise ValueError("action_progress is not an object")


def _failed_reasons(value: object) -> str | None:
    """One readable line from `failed_reasons`, which the docs give as an object or as a map."""
    if value is None or value == "" or value == {} or value == []:
        return None
    if isinstance(value, Mapping):
        if "error_code" in value or "error_msg" in value:
            return f"{value.get('error_code') or ''}: {value.get('error_msg') or ''}".strip(": ")
        return "; ".join(f"{k}: {_failed_reasons(v) or ''}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(r for r in (_failed_reasons(v) for v in value) if r)
    return str(value)


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    number = float(value) if isinstance(value, int | float | str) else math.nan
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _str_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    raise ValueError("not a list")


def _raw_text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)[:100]


Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
SubStatus = Annotated[tuple[str, ...], BeforeValidator(split_sub_status)]
Progress = Annotated[dict[str, str], BeforeValidator(_progress)]
Reasons = Annotated[str | None, BeforeValidator(_failed_reasons)]
Number = Annotated[float | None, BeforeValidator(_number)]
StrList = Annotated[list[str], BeforeValidator(_str_list)]
DrStatusField = Annotated[DrStatus, BeforeValidator(DrStatus.parse)]
DrClusterStatusField = Annotated[DrClusterStatus, BeforeValidator(DrClusterStatus.parse)]
ClusterStatusField = Annotated[ClusterStatus, BeforeValidator(ClusterStatus.parse)]


class _Model(BaseModel):
    """Frozen, ignores unknown fields, and keeps the raw text of each enum field as `<name>_raw`."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)
    _enum_fields: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _keep_raw(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # pydantic reports the wrong type
        out = dict(data)
        for name in cls._enum_fields:
            out[f"{name}_raw"] = _raw_text(data.get(name))
        return out


# ------------------------------------------------------------------------------------------- DR
class DisasterRecovery(_Model):
    """One item of the DR list (section 2.1); `last_disaster_time` is the list's last-sync time."""

    _enum_fields = ("status", "primary_cluster_status", "standby_cluster_status")
    id: str
    name: str | None = None
    status: DrStatusField = DrStatus.UNKNOWN
    status_raw: str = ""
    dr_type: str | None = None
    primary_cluster_id: str | None = None
    primary_cluster_name: str | None = None
    primary_cluster_role: str | None = None
    primary_cluster_status: DrClusterStatusField = DrClusterStatus.UNKNOWN
    primary_cluster_status_raw: str = ""
    standby_cluster_id: str | None = None
    standby_cluster_name: str | None = None
    standby_cluster_role: str | None = None
    standby_cluster_status: DrClusterStatusField = DrClusterStatus.UNKNOWN
    standby_cluster_status_raw: str = ""
    last_disaster_time: Timestamp = None
    start_time: str | None = None
    create_time: str | None = None


class DisasterRecoveryCluster(_Model):
    """One side of the DR detail; role-based: `primary_cluster` is whoever is production *now*."""

    _enum_fields = ("status",)
    id: str
    name: str | None = None
    role: str | None = None
    region: str | None = None
    cluster_az: str | None = None
    status: DrClusterStatusField = DrClusterStatus.UNKNOWN
    status_raw: str = ""
    progress: str | None = None
    last_success_time: Timestamp = None
    datastore_version: str | None = None


class DisasterRecoveryDetail(_Model):
    """The DR detail (section 2.2); it has no top-level last-sync time, only per cluster."""

    _enum_fields = ("status",)
    id: str
    name: str | None = None
    dr_type: str | None = None
    status: DrStatusField = DrStatus.UNKNOWN
    status_raw: str = ""
    primary_cluster: DisasterRecoveryCluster | None = None
    standby_cluster: DisasterRecoveryCluster | None = None
    dr_sync_period: str | None = None
    start_time: str | None = None
    create_time: str | None = None


class ClusterRecoveryProgress(_Model):
    """One side's current backup or restore cycle in show-progress."""

    key: str | None = None
    action_type: str | None = None
    unrestore_keys: StrList = Field(default_factory=list)
    action_start_time: str | None = None
    action_end_time: str | None = None


class DisasterRecoveryProgress(_Model):
    """show-progress (section 2.3): the service's own RPO/RTO figures, in seconds."""

    primary_cluster: ClusterRecoveryProgress | None = None
    standby_cluster: ClusterRecoveryProgress | None = None
    latest_barrier_time: Timestamp = None
    last_recovery_spend: Number = None
    recovery_point_object: Number = None
    recovery_time_object: Number = None


# -------------------------------------------------------------------------------------- clusters
class Node(_Model):
    """A cluster node; `status` is a string of digits (section 3.8: 200 available, 300 unavailable)."""

    id: str | None = None
    name: str | None = None
    status: str | None = None


class Endpoint(_Model):
    """A private SQL endpoint, kept for the data-plane probe on the roadmap."""

    connect_info: str | None = None
    jdbc_url: str | None = None


class ClusterInfo(_Model):
    """A cluster as the list returns it (section 4); the fields a decision rests on."""

    _enum_fields = ("status",)
    id: str
    name: str | None = None
    status: ClusterStatusField = ClusterStatus.UNKNOWN
    status_raw: str = ""
    sub_status: SubStatus = ()
    task_status: str | None = None
    action_progress: Progress = Field(default_factory=dict)
    version: str | None = None
    created: str | None = None
    updated: str | None = None
    port: Number = None
    endpoints: list[Endpoint] | None = None
    nodes: list[Node] | None = None
    failed_reasons: Reasons = None


class ClusterDetail(ClusterInfo):
    """The cluster detail; a superset of the list item, of which the watchdog needs little more."""

    availability_zone: str | None = None
    node_type: str | None = None
    number_of_node: Number = None


# ------------------------------------------------------------------------------------- envelopes
def _envelope(payload: object, key: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
    """The value under `key` of a JSON object, checked to be a list or an object."""
    if not isinstance(payload, Mapping):
        raise ValueError(f"expected a JSON object with key {key!r}")
    if key not in payload:
        raise ValueError(f"missing key {key!r}")
    value = payload[key]
    if value is None and kind is list:
        return []
    if not isinstance(value, kind):
        raise ValueError(f"{key!r} is not a JSON {'array' if kind is list else 'object'}")
    return value


def parse_dr_list(payload: object) -> list[DisasterRecovery]:
    """`{"disaster_recovery": [...]}`: the key is singular but holds an array."""
    return [DisasterRecovery.model_validate(item) for item in _envelope(payload, "disaster_recovery", list)]


def parse_dr_detail(payload: object) -> DisasterRecoveryDetail:
    return DisasterRecoveryDetail.model_validate(_envelope(payload, "disaster_recovery", dict))


def parse_dr_progress(payload: object) -> DisasterRecoveryProgress:
    return DisasterRecoveryProgress.model_validate(_envelope(payload, "disaster_recovery_progress", dict))


def parse_cluster_detail(payload: object) -> ClusterDetail:
    return ClusterDetail.model_validate(_envelope(payload, "cluster", dict))


def parse_cluster_list(payload: object) -> list[ClusterInfo]:
    return [ClusterInfo.model_validate(item) for item in _envelope(payload, "clusters", list)]


def parse_action(payload: object) -> str:
    """`{"disaster_recovery": {"id": ...}}`: the DR id the submitted action applies to."""
    body = _envelope(payload, "disaster_recovery", dict)
    dr_id = body.get("id")
    if not isinstance(dr_id, str) or not dr_id:
        raise ValueError("action answer has no disaster_recovery.id")
    return dr_id
