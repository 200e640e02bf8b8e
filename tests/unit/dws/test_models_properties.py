"""Hypothesis: arbitrary and malformed JSON never escapes the parsers as anything but a typed outcome.

A parser either returns a model (unknown enum values as UNKNOWN) or raises ValueError; through the
client, the only exception is MalformedResponseError. Nothing else may ever surface.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from watchdog.clock import FakeClock
from watchdog.dws import models
from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.dws.errors import MalformedResponseError
from watchdog.dws.signing import Credentials

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "id", "name", "status", "sub_status", "task_status", "action_progress", "version", "failed_reasons",
    "primary_cluster", "standby_cluster", "last_disaster_time", "last_success_time", "latest_barrier_time",
    "primary_cluster_status", "recovery_point_object", "unrestore_keys", "nodes", "endpoints", "port",
]  # fmt: skip
shaped = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
ENVELOPES = ["disaster_recovery", "disaster_recovery_progress", "cluster", "clusters"]
payloads = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(ENVELOPES), st.one_of(shaped, st.lists(shaped, max_size=3), json_values)),
)
PARSERS: list[Callable[[Any], object]] = [
    models.parse_dr_list,
    models.parse_dr_detail,
    models.parse_dr_progress,
    models.parse_cluster_detail,
    models.parse_cluster_list,
    models.parse_action,
]


@settings(max_examples=200, deadline=None)
@given(payload=payloads, parser=st.sampled_from(PARSERS))
def test_parsers_return_a_model_or_raise_value_error(
    payload: object, parser: Callable[[Any], object]
) -> None:
    """Any JSON value fed to any parser gives a result or a ValueError, never another exception."""
    with contextlib.suppress(ValueError):
        parser(payload)


@settings(max_examples=300, deadline=None)
@given(status=st.one_of(st.text(max_size=20), scalars), sub=st.one_of(st.text(max_size=30), st.none()))
def test_unknown_enum_values_map_to_unknown_and_keep_the_raw_text(status: object, sub: str | None) -> None:
    """Whatever the status value, the model keeps its text and maps it to a member or UNKNOWN."""
    cluster = models.ClusterInfo.model_validate({"id": "c", "status": status, "sub_status": sub})
    assert cluster.status in set(models.ClusterStatus)
    if isinstance(status, str):
        assert cluster.status_raw == status
        known = {m.value.lower() for m in models.ClusterStatus} | {"active", "unavailable", "creation failed"}
        if " ".join(status.split()).lower() not in known:
            assert cluster.status is models.ClusterStatus.UNKNOWN
    assert all(part and part == part.strip() and "|" not in part for part in cluster.sub_status)


ENUM_FIELDS: list[tuple[type[BaseModel], str, type[models.DrStatus | models.DrClusterStatus]]] = [
    (models.DisasterRecovery, "status", models.DrStatus),
    (models.DisasterRecovery, "primary_cluster_status", models.DrClusterStatus),
    (models.DisasterRecovery, "standby_cluster_status", models.DrClusterStatus),
    (models.DisasterRecoveryDetail, "status", models.DrStatus),
    (models.DisasterRecoveryCluster, "status", models.DrClusterStatus),
]
DR_WORDS = st.sampled_from([m.value for m in models.DrStatus] + [m.value for m in models.DrClusterStatus])


@settings(max_examples=200, deadline=None)
@given(
    target=st.sampled_from(ENUM_FIELDS),
    value=st.one_of(scalars, DR_WORDS, DR_WORDS.map(str.upper), DR_WORDS.map(lambda w: w + "ing")),
)
def test_dr_enum_fields_map_unknown_values_to_unknown(
    target: tuple[type[BaseModel], str, type[models.DrStatus | models.DrClusterStatus]],
    value: object,
) -> None:
    """DR task and per-cluster DR statuses: a known word (any case) is its member, else UNKNOWN; raw kept."""
    model, field, enum = target
    item = model.model_validate({"id": "x", field: value})
    parsed, raw = getattr(item, field), getattr(item, f"{field}_raw")
    assert parsed in set(enum)
    if isinstance(value, str):
        assert raw == value
        known = {m.value.lower(): m for m in enum}
        assert parsed is known.get(" ".join(value.split()).lower(), enum.UNKNOWN)
    elif value is None:
        assert parsed is enum.UNKNOWN and raw == ""
    else:
        assert parsed is enum.UNKNOWN


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(scalars, st.from_regex(r"\A[0-9 :TZ.+\-/]{0,30}\Z"), st.datetimes()))
def test_parse_timestamp_is_aware_utc_none_or_value_error(value: object) -> None:
    """Any input gives an aware UTC datetime, None (never), or a ValueError."""
    try:
        parsed = models.parse_timestamp(value)
    except ValueError:
        return
    assert parsed is None or parsed.utcoffset() == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(
    body=st.one_of(st.binary(max_size=80), payloads.map(lambda p: json.dumps(p).encode())),
    operation=st.sampled_from(["list_dr", "detail", "progress", "cluster", "clusters"]),
)
def test_client_answers_with_a_result_or_malformed_error(body: bytes, operation: str) -> None:
    """A 200 carrying arbitrary bytes or JSON gives a parsed result or MalformedResponseError."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    async def run() -> None:
        async with DwsClient(
            "https://dws.example.test",
            "p1",
            Credentials("AK", "SK"),
            transport=httpx.MockTransport(handler),
            clock=FakeClock(),
            retry=RetryPolicy(attempts=1),
        ) as client:
            calls = {
                "list_dr": client.list_disaster_recoveries,
                "detail": lambda: client.show_disaster_recovery("d1"),
                "progress": lambda: client.show_disaster_progress("d1"),
                "cluster": lambda: client.show_cluster("c1"),
                "clusters": client.list_clusters,
            }
            try:
                await calls[operation]()
            except MalformedResponseError as exc:
                assert exc.operation and exc.status == 200

    asyncio.run(run())
