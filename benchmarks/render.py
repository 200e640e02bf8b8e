"""Benchmark: rendering /metrics in process, the whole registry by prometheus-client's
`generate_latest` against `Metrics.render` (per-pair families re-rendered only when they changed).

Each round, as against the simulator at steady state, every healthy pair's sync lag moves (it is
"now minus the last sync") and everything else stays; the figures are CPU seconds per rendering
after such a round (medians), and the bytes are checked equal.

    .venv/bin/python -m benchmarks.render --pairs 5000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest

from tests.unit.test_metrics_cardinality import NOW, healthy
from watchdog.metrics import Metrics
from watchdog.model import Mode, PairState, Policy
from watchdog.policy import evaluate
from watchdog.report import decision_metrics, observation_metrics, readiness_metrics


def steady(metrics: Metrics, pairs: list[str], n: int) -> None:
    """Round `n` of a steady fleet: the observations `n` intervals later, the same sync."""
    for pair in pairs:
        obs = replace(healthy(pair), observed_at=NOW + timedelta(seconds=10 * n))
        observation_metrics(metrics, obs)
        evaluation = evaluate(obs, PairState(), Policy(mode=Mode.RECOMMEND), obs.observed_at)
        decision_metrics(metrics, evaluation.decision)
        readiness_metrics(metrics, obs, evaluation)


def cpu(work: Callable[[], bytes]) -> tuple[float, bytes]:
    began = time.process_time()
    out = work()
    return time.process_time() - began, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"# {' '.join([sys.executable, *sys.argv])}", flush=True)
    pairs = [f"pair-{i}" for i in range(args.pairs)]
    metrics = Metrics(CollectorRegistry(), pairs=pairs, process_collectors=False)
    whole, ours = [], []
    for n in range(args.rounds + 1):
        steady(metrics, pairs, n)
        t_whole, a = cpu(lambda: generate_latest(metrics.registry))
        t_ours, b = cpu(metrics.render)
        if a != b:
            raise SystemExit("the renderings differ")
        if n:  # the first rendering of all renders every family
            whole.append(t_whole)
            ours.append(t_ours)
    print(
        json.dumps(
            {
                "pairs": args.pairs,
                "bytes": len(a),
                "generate_latest_cpu_seconds_median": round(statistics.median(whole), 3),
                "render_cpu_seconds_median": round(statistics.median(ours), 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
