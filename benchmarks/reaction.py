"""Benchmark: reaction time, from an injected production outage to the failover POST (issue 14).

Target: at most the confirmation window plus one probe interval at p99, over at least 200 outages.
The daemon's own rounds in auto mode (benchmarks/virtual.py: virtual time, real HTTP) watch `--pairs`
pairs; each pair's production cluster fails once at a random virtual time (and stays failed); the
simulator's record of accepted failover POSTs gives each one's time. With the shipped policy (15 s
interval, 4 DOWN rounds, 60 s since first seen down) the window is 60 s, so the target is 75 s: the
outage is seen by the first round after it (up to an interval later), confirmed 60 s after that round.

    .venv/bin/python -m benchmarks.reaction --pairs 200 --seed 1

Prints one JSON object: outages, POSTs per pair (must be exactly one), reaction p50/p99/max in
virtual seconds against the target, and the wall time the run took.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.virtual import INTERVAL, World, quiet
from watchdog.simulator import Simulator

WARMUP = 120.0  # healthy rounds before the first outage (the pairs' baselines are learnt)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def run(pairs: int, spread: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="drw-reaction-") as tmp:
        world = World(pairs, seed, Path(tmp))
        injected: dict[str, float] = {}
        for pair in world.pairs:
            at = WARMUP + rng.uniform(0, spread)

            def fail(sim: Simulator, pair: Any = pair) -> None:
                injected[pair.disaster_recovery_id] = sim.clock.monotonic()
                sim.fail_cluster(pair.primary_cluster_id)

            world.at(at, fail)
        policy = world.settings("http://127.0.0.1:1").policy
        window = max(policy.min_outage_seconds, (policy.failure_threshold - 1) * INTERVAL)
        async with world.running():
            async for _ in world.rounds(WARMUP + spread + window + 4 * INTERVAL):
                pass
        origin = world.sim.started
        reactions, posts = [], []
        for dr, at in injected.items():
            calls = world.sim.failover_calls(dr)
            posts.append(len(calls))
            if calls:
                reactions.append((calls[0].at - origin).total_seconds() - at)
    target = window + INTERVAL
    return {
        "outages": len(injected),
        "pairs_failed_over": sum(1 for n in posts if n > 0),
        "posts_per_pair": sorted(set(posts)),
        "interval_seconds": INTERVAL,
        "confirmation_window_seconds": window,
        "target_p99_seconds": target,
        "reaction_p50_seconds": round(statistics.median(reactions), 2) if reactions else None,
        "reaction_p99_seconds": round(percentile(reactions, 0.99), 2) if reactions else None,
        "reaction_max_seconds": round(max(reactions), 2) if reactions else None,
        "reaction_min_seconds": round(min(reactions), 2) if reactions else None,
        "p99_within_target": bool(reactions) and percentile(reactions, 0.99) <= target,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200, help="one outage per pair")
    parser.add_argument(
        "--spread", type=float, default=1800.0, help="virtual seconds the outages spread over"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    quiet()
    print(f"# python -m benchmarks.reaction --pairs {args.pairs} --spread {args.spread:g} --seed {args.seed}")
    print(json.dumps(asyncio.run(run(args.pairs, args.spread, args.seed))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
