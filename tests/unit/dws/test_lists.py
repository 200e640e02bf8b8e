"""The list answers parsed from bytes with the item cache give exactly what the parse of their JSON
without it gives (models equal, or the same error), and a changed item is never served its old model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.dws.test_models_properties import payloads, shaped
from watchdog.dws import lists, models
from watchdog.dws.itemcache import ItemCache

PAIRS: list[tuple[Callable[[bytes, ItemCache], list[Any]], Callable[[Any], list[Any]], str]] = [
    (lists.cluster_list, models.parse_cluster_list, "clusters"),
    (lists.dr_list, models.parse_dr_list, "disaster_recovery"),
]


def outcome(parse: Callable[[], object]) -> object:
    try:
        return parse()
    except ValueError as exc:
        return ("error", type(exc))


@settings(max_examples=300, deadline=None)
@given(
    first=st.one_of(payloads, st.lists(shaped, max_size=4)),
    second=st.one_of(payloads, st.lists(shaped, max_size=4)),
    which=st.sampled_from(range(len(PAIRS))),
)
def test_two_answers_parse_as_without_the_cache(first: object, second: object, which: int) -> None:
    fast, slow, key = PAIRS[which]
    cache = ItemCache()
    for payload in (first, second):  # the second answer meets the first's items in the cache
        if isinstance(payload, list):
            payload = {key: payload}
        raw = json.dumps(payload).encode()
        assert outcome(lambda: fast(raw, cache)) == outcome(lambda: slow(json.loads(raw)))  # noqa: B023


def cluster(cid: str, status: str = "AVAILABLE", **more: object) -> dict[str, object]:
    return {"id": cid, "name": cid, "status": status, "sub_status": "NORMAL", **more}


def body(*items: dict[str, object]) -> bytes:
    return json.dumps({"clusters": list(items)}).encode()


def test_an_unchanged_item_keeps_its_model_and_a_changed_one_is_parsed_again() -> None:
    cache = ItemCache()
    a, b = lists.cluster_list(body(cluster("a"), cluster("b")), cache)
    again_a, failed_b = lists.cluster_list(body(cluster("a"), cluster("b", "FAILED")), cache)
    assert again_a is a
    assert failed_b.status is models.ClusterStatus.FAILED and failed_b.status_raw == "FAILED"
    assert lists.cluster_list(body(cluster("b", "FAILED", version="9")), cache)[0].version == "9"
    back = lists.cluster_list(body(cluster("a"), cluster("b")), cache)
    assert back[0] is not a  # `a` was not in the answer before: forgotten, parsed afresh
    assert back == [a, b]


def test_a_refused_answer_raises_as_before_and_keeps_the_last_good_items() -> None:
    cache = ItemCache()
    (a,) = lists.cluster_list(body(cluster("a")), cache)
    with pytest.raises(ValueError, match="'clusters' is not a JSON array"):
        lists.cluster_list(b'{"clusters": {"id": "a"}}', cache)
    with pytest.raises(ValueError):
        lists.cluster_list(b"not json", cache)
    assert lists.cluster_list(body(cluster("a")), cache)[0] is a
    assert lists.cluster_list(b'{"clusters": null}', cache) == []
