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

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    model_validator,
)

from watchdog.dws.itemcache import CACHE, ItemCache, digest
from watchdog.dws.values import (
    ClusterStatus,
    DrClusterStatus,
    DrStatus,
    failed_reasons_line,
    finite_number,
    parse_timestamp,
    progress_map,
    raw_text,
    split_sub_status,
    text_list,
)

__all__ = [
    "ClusterDetail",
    "ClusterInfo",
    "ClusterRecoveryProgress",
    "ClusterStatus",
    "DisasterRecovery",
    "DisasterRecoveryCluster",
    "DisasterRecoveryDetail",
    "DisasterRecoveryProgress",
    "DrClusterStatus",
    "DrStatus",
    "parse_action",
    "parse_cluster_detail",
    "parse_cluster_list",
    "parse_dr_detail",
    "parse_dr_list",
    "parse_dr_progress",
    "parse_timestamp",
    "split_sub_status",
]

Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
SubStatus = Annotated[tuple[str, ...], BeforeValidator(split_sub_status)]
Progress = Annotated[dict[str, str], BeforeValidator(progress_map)]
Reasons = Annotated[str | None, BeforeValidator(failed_reasons_line)]
Number = Annotated[float | None, BeforeValidator(finite_number)]
StrList = Annotated[list[str], BeforeValidator(text_list)]
DrStatusField = Annotated[DrStatus, BeforeValidator(DrStatus.parse)]
DrClusterStatusField = Annotated[DrClusterStatus, BeforeValidator(DrClusterStatus.parse)]
ClusterStatusField = Annotated[ClusterStatus, BeforeValidator(ClusterStatus.parse)]


class _Model(BaseModel):
    """Frozen, ignores unknown fields, and keeps the raw text of each enum field as `<name>_raw`."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)
    _enum_fields: ClassVar[tuple[str, ...]] = ()
    _list_item: ClassVar[bool] = False  # an item of a list answer: its model may come from the cache

    @model_validator(mode="wrap")
    @classmethod
    def _validate(cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo) -> Any:
        """A list item whose JSON the last answer had gets that answer's model (`itemcache`)."""
        context = info.context
        cache = context.get(CACHE) if cls._list_item and isinstance(context, dict) else None
        item_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(cache, ItemCache) or not isinstance(item_id, str):
            return handler(cls._keep_raw(data))
        fingerprint = digest(data)
        hit = cache.get(cls, item_id, fingerprint)
        if hit is not None:
            return hit
        model = handler(cls._keep_raw(data))
        cache.put(cls, item_id, fingerprint, model)
        return model

    @classmethod
    def _keep_raw(cls, data: Any) -> Any:
        # `dict` first: a list answer is tens of thousands of objects a round, and the check against
        # the Mapping ABC cost more than the rest of this validator (py-spy, 5,000 pairs)
        if not isinstance(data, dict) and not isinstance(data, Mapping):
            return data  # pydantic reports the wrong type
        if not cls._enum_fields:
            return data  # nothing to keep: no copy
        out = dict(data)
        for name in cls._enum_fields:
            out[f"{name}_raw"] = raw_text(data.get(name))
        return out


# ------------------------------------------------------------------------------------------- DR
class DisasterRecovery(_Model):
    """One item of the DR list (section 2.1); `last_disaster_time` is the list's last-sync time."""

    _enum_fields = ("status", "primary_cluster_status", "standby_cluster_status")
    _list_item = True
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
    primary_cluster_project_id: str | None = None
    standby_cluster_project_id: str | None = None
    primary_cluster_region: str | None = None
    standby_cluster_region: str | None = None
    last_disaster_time: Timestamp = None
    start_time: str | None = None
    create_time: str | None = None

    def project_of(self, cluster_id: str) -> str | None:
        """The project a member cluster lives in (cross-region DR puts the standby in another one)."""
        if cluster_id == self.primary_cluster_id:
            return self.primary_cluster_project_id or None
        if cluster_id == self.standby_cluster_id:
            return self.standby_cluster_project_id or None
        return None


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
    """A private SQL endpoint: where the data-plane probe connects (`connect_info` is host:port)."""

    connect_info: str | None = None
    jdbc_url: str | None = None


class ClusterInfo(_Model):
    """A cluster as the list returns it (section 4); the fields a decision rests on."""

    _enum_fields = ("status",)
    _list_item = True
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
    private_ip: list[str] | None = None
    failed_reasons: Reasons = None


class ClusterDetail(ClusterInfo):
    """The cluster detail; a superset of the list item, of which the watchdog needs little more."""

    _list_item = False
    nodes: list[Node] | None = None  # the detail's only: the list's items do without (memory, issue 14)

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
