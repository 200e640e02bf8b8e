"""The two list answers parsed from their bytes, their unchanged items' models from an `ItemCache`.

pydantic-core reads the JSON itself (no tree of dicts for the whole answer: one item's dict at a
time), and each item whose JSON the previous answer had keeps that answer's model. Any answer this
fast path refuses is parsed as before (`json.loads`, then `models.parse_*_list`), so what an
answer gives, or the error it raises, is the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter

from watchdog.dws.itemcache import CACHE, ItemCache
from watchdog.dws.models import ClusterInfo, DisasterRecovery, parse_cluster_list, parse_dr_list

T = TypeVar("T")


class _Clusters(BaseModel):
    model_config = ConfigDict(extra="ignore")
    clusters: list[ClusterInfo] | None


class _Tasks(BaseModel):
    model_config = ConfigDict(extra="ignore")
    disaster_recovery: list[DisasterRecovery] | None


_CLUSTERS = TypeAdapter(_Clusters)
_TASKS = TypeAdapter(_Tasks)


def cluster_list(body: bytes, cache: ItemCache) -> list[ClusterInfo]:
    """`{"clusters": [...]}`, as `models.parse_cluster_list` of its JSON."""
    return _parsed(body, cache, ClusterInfo, _CLUSTERS, "clusters", parse_cluster_list)


def dr_list(body: bytes, cache: ItemCache) -> list[DisasterRecovery]:
    """`{"disaster_recovery": [...]}`, as `models.parse_dr_list` of its JSON."""
    return _parsed(body, cache, DisasterRecovery, _TASKS, "disaster_recovery", parse_dr_list)


def _parsed(
    body: bytes,
    cache: ItemCache,
    cls: type,
    envelope: TypeAdapter[Any],
    key: str,
    slow: Callable[[Any], list[T]],
) -> list[T]:
    cache.begin(cls)
    try:
        items: list[T] | None = getattr(envelope.validate_json(body, context={CACHE: cache}), key)
    except ValueError:
        cache.end(cls, complete=False)
        return slow(json.loads(body))  # the answer, or the error, of the parse without the cache
    cache.end(cls, complete=True)
    return items or []
