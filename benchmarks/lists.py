"""Benchmark: parsing the two list answers of a project of N pairs, in process: `json.loads` and the
models one item at a time (the way before the item cache) against `dws.lists` from the bytes, cold
(an empty cache) and warm (the same answer again, as at steady state). CPU seconds and the
allocation peak (tracemalloc); the models are checked equal.

    .venv/bin/python -m benchmarks.lists --pairs 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.probe_round import access_key, project_id, secret_key, simulator
from watchdog.dws import lists, models
from watchdog.dws.client import DwsClient
from watchdog.dws.itemcache import ItemCache
from watchdog.dws.signing import Credentials


async def bodies(url: str) -> dict[str, bytes]:
    """The two list answers' bytes, as the client receives them (signed requests)."""
    client = DwsClient(url, project_id(1), Credentials(access_key(1), secret_key(1)), timeout=120.0)
    paths = {
        "clusters": f"/v1.0/{project_id(1)}/clusters",
        "tasks": f"/v2/{project_id(1)}/disaster-recoveries",
    }
    try:
        return {name: (await client._send("GET", path, 120.0)).content for name, path in paths.items()}
    finally:
        await client.aclose()


def measured(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """The result, CPU seconds (a run without tracemalloc, whose overhead is large) and the allocation
    peak in MB (a second run, under tracemalloc)."""
    began = time.process_time()
    result = work()
    seconds = time.process_time() - began
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, round(seconds, 3), round(peak / 2**20, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    args = parser.parse_args()
    print(f"# {' '.join([sys.executable, *sys.argv])}", flush=True)
    with simulator(1, args.pairs) as url:
        raw = asyncio.run(bodies(url))
    for name, old, new in (
        ("clusters", models.parse_cluster_list, lists.cluster_list),
        ("tasks", models.parse_dr_list, lists.dr_list),
    ):
        body, cache = raw[name], ItemCache()
        before, t_old, m_old = measured(lambda: old(json.loads(body)))  # noqa: B023
        cold, t_cold, m_cold = measured(lambda: new(body, ItemCache()))  # noqa: B023
        new(body, cache)
        warm, t_warm, m_warm = measured(lambda: new(body, cache))  # noqa: B023
        if not before == cold == warm:
            raise SystemExit("the parses differ")
        result = {"list": name, "items": len(before), "bytes": len(body)}
        result |= {"before_cpu_seconds": t_old, "cold_cpu_seconds": t_cold, "warm_cpu_seconds": t_warm}
        result |= {"before_peak_mb": m_old, "cold_peak_mb": m_cold, "warm_peak_mb": m_warm}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
