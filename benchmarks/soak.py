"""Benchmark: false positives. Zero failovers over at least 10,000 simulated pair-hours of realistic
noise (issue 14), the daemon's own rounds in auto mode (benchmarks/virtual.py: virtual time, real
HTTP), the shipped policy (15 s rounds, 4 DOWN rounds and 60 s to confirm).

The noise, drawn from `--seed`:
- per round, fleet-wide: API errors (500, 502, 503, 504, 429) on a random read for 1-3 requests,
  slow answers (50-300 ms for 1-5 requests), a timeout (an answer later than the client's timeout),
  a connection reset or a body that is not JSON;
- about every 20 minutes, a short API outage: every request answers 503 for 30-180 s;
- per pair, about every 2 hours: a one-round blip (production shows FAILED to one round, then is
  AVAILABLE again); about every 20 hours a slow restart (FAILED for 20-40 s: at most 3 rounds);
- per pair, about every 20 hours: DR replication trouble for 2-10 minutes (the DR cluster failed, or
  the sync stalled).

    .venv/bin/python -m benchmarks.soak --pairs 1000 --hours 10 --seed 1

Prints one JSON object: pair-hours, failover POSTs and FAILOVER decisions (both must be 0), suspect
pair-rounds and the longest run of DOWN rounds a pair reached, UNKNOWN pair-rounds, what was injected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.virtual import INTERVAL, World, quiet
from watchdog.model import Action, State, Verdict
from watchdog.simulator import Fault, FaultKind, Simulator

HELD = (State.FAILOVER_WARRANTED, State.BLOCKED, State.FAILING_OVER, State.FAILED_OVER)
READS = ("list_disaster_recover", "list_clusters", "show_disaster_detail", "show_disaster_progress")
TIMEOUT = 1.0  # the client's request timeout in this run (real seconds)


def fleet_noise(world: World, rng: random.Random, until: float, injected: Counter[str]) -> None:
    """The fleet-wide API noise, scheduled per round and as outages."""
    t = INTERVAL
    while t < until:
        at = t + rng.uniform(0, INTERVAL)
        roll = rng.random()
        if roll < 0.10:
            fault = Fault(FaultKind.ERROR, rng.choice(READS), status=rng.choice([500, 502, 503, 504, 429]))
            fault.count, kind = rng.randint(1, 3), "api_error"
        elif roll < 0.15:
            fault = Fault(FaultKind.LATENCY, rng.choice(READS), seconds=rng.uniform(0.05, 0.3))
            fault.count, kind = rng.randint(1, 5), "slow_answer"
        elif roll < 0.17:
            fault, kind = (
                Fault(FaultKind.LATENCY, rng.choice(READS), seconds=TIMEOUT + 0.1, count=1),
                "timeout",
            )
        elif roll < 0.18:
            fault, kind = Fault(FaultKind.RESET, rng.choice(READS), count=1), "reset"
        elif roll < 0.19:
            fault, kind = Fault(FaultKind.MALFORMED, rng.choice(READS), count=1), "malformed"
        elif roll < 0.2025:  # about one round in 80: every 20 minutes
            fault = Fault(FaultKind.ERROR, "*", status=503, for_seconds=rng.uniform(30, 180))
            kind = "api_outage"
        else:
            t += INTERVAL
            continue
        injected[kind] += 1
        world.at(at, injector(fault))
        t += INTERVAL


def injector(fault: Fault) -> Callable[[Simulator], None]:
    def inject(sim: Simulator) -> None:
        sim.inject(fault)

    return inject


def pair_noise(world: World, rng: random.Random, until: float, injected: Counter[str]) -> None:
    """Per-pair blips, slow restarts and DR replication trouble (Poisson arrivals)."""
    hour = 3600.0
    for pair in world.pairs:
        for kind, rate, lasting in (
            ("blip", 1 / (2 * hour), lambda: INTERVAL),
            ("slow_restart", 1 / (20 * hour), lambda: rng.uniform(20, 40)),
            ("dr_trouble", 1 / (20 * hour), lambda: rng.uniform(120, 600)),
        ):
            t = rng.expovariate(rate)
            while t < until:
                length = lasting()
                injected[kind] += 1
                schedule(world, pair, kind, t, length, rng.random() < 0.5)
                t += length + rng.expovariate(rate)


def schedule(world: World, pair: Any, kind: str, at: float, length: float, variant: bool) -> None:
    if kind in ("blip", "slow_restart"):
        world.at(at, lambda sim: sim.fail_cluster(pair.primary_cluster_id))
        world.at(at + length, lambda sim: sim.recover_cluster(pair.primary_cluster_id))
    elif variant:  # the DR cluster failed: the pair has no working DR for a while
        world.at(at, lambda sim: sim.fail_cluster(pair.standby_cluster_id))
        world.at(at + length, lambda sim: sim.recover_cluster(pair.standby_cluster_id))
    else:  # the sync stalled
        world.at(at, lambda sim: sim.stall_sync(pair.disaster_recovery_id))
        world.at(at + length, lambda sim: sim.resume_sync(pair.disaster_recovery_id))


async def run(pairs: int, hours: float, seed: int) -> dict[str, Any]:
    rng, started = random.Random(seed), time.perf_counter()
    until, injected = hours * 3600.0, Counter[str]()
    states, verdicts, failovers = Counter[str](), Counter[str](), 0
    longest, rounds = 0, 0
    with tempfile.TemporaryDirectory(prefix="drw-soak-") as tmp:
        world = World(pairs, seed, Path(tmp), timeout=TIMEOUT)
        fleet_noise(world, rng, until, injected)
        pair_noise(world, rng, until, injected)
        async with world.running():
            async for result in world.rounds(until):
                rounds += 1
                if rounds % 240 == 0:  # each virtual hour: how far, on stderr
                    hours_done, wall = rounds * INTERVAL / 3600, time.perf_counter() - started
                    print(f"# {hours_done:g} virtual h, {wall:.0f} s", file=sys.stderr)
                for d in result.decisions.values():
                    states[d.state.value] += 1
                    verdicts[d.verdict.value] += 1
                    longest = max(longest, d.consecutive_down)
                    failovers += d.action is Action.FAILOVER
        posts = len(world.sim.failover_calls())
    return {
        "pairs": pairs,
        "rounds": rounds,
        "pair_hours": round(pairs * rounds * INTERVAL / 3600),
        "failover_posts": posts,
        "failover_decisions": failovers,
        "warranted_or_blocked_pair_rounds": states[State.FAILOVER_WARRANTED.value]
        + states[State.BLOCKED.value],
        "suspect_pair_rounds": states[State.SUSPECT.value],
        "longest_down_run_rounds": longest,
        "down_pair_rounds": verdicts[Verdict.DOWN.value],
        "unknown_pair_rounds": verdicts[Verdict.UNKNOWN.value],
        "states": dict(states),
        "injected": dict(injected),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=10.0, help="virtual hours")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    quiet()
    print(f"# python -m benchmarks.soak --pairs {args.pairs} --hours {args.hours:g} --seed {args.seed}")
    print(json.dumps(asyncio.run(run(args.pairs, args.hours, args.seed))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
