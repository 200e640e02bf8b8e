"""The DWS response models read every documented shape and spelling, and refuse garbage loudly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watchdog.dws import models
from watchdog.dws.models import ClusterStatus, DrClusterStatus, DrStatus, parse_timestamp

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-02T03:04:05Z", T0),
        ("2024-01-02T03:04:05", T0),
        ("2024-01-02 03:04:05", T0),
        ("2024-01-02T03:04:05.250Z", T0 + timedelta(milliseconds=250)),
        ("2024-01-02T03:04:05.123456789Z", T0 + timedelta(microseconds=123456)),
        ("2024-01-02T11:04:05+08:00", T0),
        ("2024-01-02T11:04:05+0800", T0),
        ("2024-01-02 03:04:05 UTC", T0),
        ("  2024-01-02T03:04:05z ", T0),
        (1704164645, T0),
        (1704164645000, T0),
        (1704164645.5, T0 + timedelta(milliseconds=500)),
        ("1704164645", T0),
        ("1704164645000", T0),
        ("", None),
        ("null", None),
        (None, None),
        (0, None),
        ("0", None),
    ],
)
def test_parse_timestamp_accepts_every_plausible_form(raw: object, expected: datetime | None) -> None:
    """ISO 8601 (Z, no zone, fractions, offsets, space), epoch s/ms as number or text; empty = never."""
    parsed = parse_timestamp(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


def test_parse_timestamp_converts_aware_datetimes_to_utc() -> None:
    """A datetime with an offset comes back as the same instant in UTC."""
    local = datetime(2024, 1, 2, 11, 4, 5, tzinfo=timezone(timedelta(hours=8)))
    assert parse_timestamp(local) == T0
    assert parse_timestamp(local).tzinfo == UTC  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "raw", ["yesterday", "2024-13-45T00:00:00Z", "12:00", True, [], {}, -5, float("nan"), "1e400"]
)
def test_parse_timestamp_rejects_garbage(raw: object) -> None:
    """A value that is no timestamp raises ValueError rather than reading as "never synced"."""
    with pytest.raises(ValueError):
        parse_timestamp(raw)


@pytest.mark.parametrize(
    ("raw", "member"),
    [
        ("AVAILABLE", ClusterStatus.AVAILABLE),
        ("ACTIVE", ClusterStatus.AVAILABLE),
        ("active", ClusterStatus.AVAILABLE),
        ("FAILED", ClusterStatus.FAILED),
        ("UNAVAILABLE", ClusterStatus.FAILED),
        ("CREATION FAILED", ClusterStatus.CREATE_FAILED),
        ("CREATE_FAILED", ClusterStatus.CREATE_FAILED),
        ("FROZEN", ClusterStatus.FROZEN),
        ("MELTING", ClusterStatus.UNKNOWN),
        (None, ClusterStatus.UNKNOWN),
        (42, ClusterStatus.UNKNOWN),
    ],
)
def test_cluster_status_aliases_and_unknown(raw: object, member: ClusterStatus) -> None:
    """Both documented spellings map to one member; anything else is UNKNOWN with the raw text kept."""
    cluster = models.ClusterInfo.model_validate({"id": "c1", "status": raw})
    assert cluster.status is member
    assert cluster.status_raw == ("" if raw is None else str(raw))


def test_dr_status_and_per_cluster_status_are_lenient() -> None:
    """DR states match case-insensitively (drDeleted, RUNNING); a new state is UNKNOWN, raw kept."""
    item = models.DisasterRecovery.model_validate(
        {
            "id": "d1",
            "status": "RUNNING",
            "primary_cluster_status": "drdeleted",
            "standby_cluster_status": "teleporting",
        }
    )
    assert item.status is DrStatus.RUNNING
    assert item.primary_cluster_status is DrClusterStatus.DR_DELETED
    assert item.standby_cluster_status is DrClusterStatus.UNKNOWN
    assert item.standby_cluster_status_raw == "teleporting"
    assert models.DisasterRecovery.model_validate({"id": "d", "status": "stopped"}).status is DrStatus.STOPPED


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("NORMAL", ("NORMAL",)),
        ("DEGRADED | UNBALANCED", ("DEGRADED", "UNBALANCED")),
        ("UNBALANCED|READONLY", ("UNBALANCED", "READONLY")),
        (
            "DEGRADED | UNBALANCED | READONLY | REDISTRIBUTION-FAILURE",
            ("DEGRADED", "UNBALANCED", "READONLY", "REDISTRIBUTION-FAILURE"),
        ),
        ("", ()),
        (None, ()),
        (" | ", ()),
    ],
)
def test_sub_status_is_split_on_pipes(raw: str | None, parts: tuple[str, ...]) -> None:
    """sub_status combinations are split on '|' with spaces stripped and empty parts dropped."""
    assert models.ClusterInfo.model_validate({"id": "c", "sub_status": raw}).sub_status == parts


def test_dr_detail_documented_shape() -> None:
    """The detail's role-based clusters, per-cluster last_success_time and unknown extra fields parse."""
    detail = models.parse_dr_detail(
        {
            "disaster_recovery": {
                "id": "d1",
                "name": "dr",
                "status": "switchovering",
                "dr_type": "az",
                "dr_sync_period": "20m",
                "brand_new_field": {"nested": [1, 2]},
                "primary_cluster": {
                    "id": "p",
                    "role": "primary",
                    "status": "backuping",
                    "last_success_time": "2024-01-02T03:04:05Z",
                    "disk_used": 12,
                },
                "standby_cluster": {
                    "id": "s",
                    "role": "standby",
                    "status": "restoring",
                    "last_success_time": "",
                },
            }
        }
    )
    assert detail.status is DrStatus.SWITCHOVERING
    assert detail.primary_cluster is not None and detail.primary_cluster.last_success_time == T0
    assert detail.standby_cluster is not None and detail.standby_cluster.last_success_time is None
    assert detail.standby_cluster.status is DrClusterStatus.RESTORING


def test_dr_list_key_is_singular_and_holds_an_array() -> None:
    """`disaster_recovery` holds the list; null means an empty project; the list's last-sync time parses."""
    items = models.parse_dr_list(
        {"disaster_recovery": [{"id": "d1", "status": "running", "last_disaster_time": 1704164645000}]}
    )
    assert [i.id for i in items] == ["d1"]
    assert items[0].last_disaster_time == T0
    assert models.parse_dr_list({"disaster_recovery": None}) == []


def test_progress_numbers_and_keys() -> None:
    """show-progress RPO/RTO accept numbers or numeric strings; unrestore_keys a string or a list."""
    progress = models.parse_dr_progress(
        {
            "disaster_recovery_progress": {
                "primary_cluster": {"key": "k1", "action_type": "Backup", "unrestore_keys": "k0"},
                "standby_cluster": {"key": "k0", "action_type": "Restore", "unrestore_keys": ["a", "b"]},
                "latest_barrier_time": "2024-01-02T03:04:05Z",
                "recovery_point_object": "120",
                "recovery_time_object": 30,
                "last_recovery_spend": None,
            }
        }
    )
    assert progress.recovery_point_object == 120.0
    assert progress.recovery_time_object == 30.0
    assert progress.last_recovery_spend is None
    assert progress.primary_cluster is not None and progress.primary_cluster.unrestore_keys == ["k0"]
    assert progress.latest_barrier_time == T0


def test_cluster_detail_documented_example() -> None:
    """The documented cluster example parses: null task_status, empty action_progress, node digits."""
    cluster = models.parse_cluster_detail(
        {
            "cluster": {
                "id": "7d85f602",
                "name": "dws-prod",
                "status": "AVAILABLE",
                "sub_status": "NORMAL",
                "task_status": None,
                "action_progress": {},
                "version": "8.2.1.220",
                "created": "2024-02-10T14:28:14Z",
                "port": 8000,
                "endpoints": [{"connect_info": "192.168.0.10:8000", "jdbc_url": "jdbc:postgresql://x/db"}],
                "nodes": [{"id": "acaf", "status": "200", "name": "n1"}],
                "number_of_node": 3,
                "failed_reasons": None,
            }
        }
    )
    assert cluster.status is ClusterStatus.AVAILABLE
    assert cluster.action_progress == {}
    assert cluster.task_status is None
    assert cluster.nodes is not None and cluster.nodes[0].status == "200"
    assert cluster.version == "8.2.1.220"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ({"error_code": "DWS.6001", "error_msg": "node down"}, "DWS.6001: node down"),
        ({"disk": "full", "node": "lost"}, "disk: full; node: lost"),
        ([{"error_code": "E1", "error_msg": "m"}], "E1: m"),
        ("plain", "plain"),
        ({}, None),
        (None, None),
    ],
)
def test_failed_reasons_object_or_map(raw: object, text: str | None) -> None:
    """failed_reasons (an object per the SDK, a map per older docs) becomes one readable line."""
    assert models.ClusterInfo.model_validate({"id": "c", "failed_reasons": raw}).failed_reasons == text


def test_action_progress_values_become_text() -> None:
    """action_progress is an object of text; numbers are kept as their text, null as empty."""
    cluster = models.ClusterInfo.model_validate(
        {"id": "c", "action_progress": {"SNAPSHOTTING": 20, "X": None}}
    )
    assert cluster.action_progress == {"SNAPSHOTTING": "20", "X": ""}


@pytest.mark.parametrize(
    ("parser", "payload"),
    [
        (models.parse_dr_list, {"disaster_recoveries": []}),
        (models.parse_dr_list, {"disaster_recovery": {"id": "x"}}),
        (models.parse_dr_list, [1, 2]),
        (models.parse_dr_detail, {"disaster_recovery": [{"id": "x"}]}),
        (models.parse_dr_detail, {"disaster_recovery": {"name": "no id"}}),
        (models.parse_dr_detail, {"disaster_recovery": {"id": "x", "primary_cluster": "p"}}),
        (models.parse_cluster_detail, {"cluster": {"id": "c", "action_progress": [1]}}),
        (models.parse_cluster_list, {"clusters": [{"id": {"nested": 1}}]}),
        (models.parse_dr_progress, {"disaster_recovery_progress": {"recovery_point_object": "soon"}}),
        (
            models.parse_dr_detail,
            {"disaster_recovery": {"id": "x", "primary_cluster": {"id": "p", "last_success_time": "later"}}},
        ),
        (models.parse_action, {"disaster_recovery": {}}),
        (models.parse_action, "ok"),
    ],
)
def test_wrong_shapes_raise_value_error(parser: object, payload: object) -> None:
    """A missing envelope, wrong container type or unreadable field is a ValueError (-> malformed)."""
    with pytest.raises(ValueError):
        parser(payload)  # type: ignore[operator]


def test_action_answer_names_the_dr_task() -> None:
    """An accepted action answers with the DR id."""
    assert models.parse_action({"disaster_recovery": {"id": "d1"}}) == "d1"
