"""Benchmark: full daemon rounds (probe -> decide -> record) over 5,000 DR pairs (roadmap item 4, "Scale").

The round is the daemon's own: `watchdog.rounds.Runtime.round()` built from a `Settings` made in
code, with the daemon's metrics and its JSON logging (to /dev/null), on a real journal file. The
simulator runs as its own process (its CPU is not counted; see probe_round.py).

Two layouts:
- `one-project`: 5,000 pairs in one project, exactly as configured today (the settings name one
  project, one endpoint, one credential);
- `many-projects`: 50 projects x 100 pairs. The settings allow one project, so the Runtime is built
  for project 1 with all 5,000 pairs, and its prober is replaced by one over 50 clients (the seam the
  roadmap names: a client per project/endpoint). Decide and record are unchanged.

    .venv/bin/python -m benchmarks.round --layout one-project --pairs 5000 --rounds 5
    .venv/bin/python -m benchmarks.round --layout many-projects --projects 50 --pairs 5000 --rounds 5

Prints one JSON object per layout: wall and CPU seconds per round (whole round, and the probe part),
journal growth per round (after a checkpoint), and how long the last round's records take to write
again into a fresh journal one transaction per pair (the old way) and in one transaction (the way a
round writes them now; encoding included in both). Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from benchmarks.probe_round import access_key, project_id, secret_key, simulator
from watchdog.clock import SystemClock
from watchdog.daemon import tune_gc
from watchdog.dws.client import DwsClient
from watchdog.dws.signing import Credentials
from watchdog.journal import Journal, RoundRecord
from watchdog.logs import setup_logging
from watchdog.metrics import Metrics
from watchdog.model import Observation, PairState, Verdict
from watchdog.probes import Prober
from watchdog.rounds import Runtime
from watchdog.settings import Settings

INTERVAL = 30.0  # the probe interval configured; large so no probe is cut short while measuring


class TimedProber:
    """Delegates to the real Prober and notes wall and CPU seconds of each probe round."""

    def __init__(self, inner: Prober) -> None:
        self.inner = inner
        self.walls: list[float] = []
        self.cpus: list[float] = []

    async def probe_round(self, now: datetime) -> Mapping[str, Observation]:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        try:
            return await self.inner.probe_round(now)
        finally:
            self.walls.append(time.perf_counter() - wall0)
            self.cpus.append(time.process_time() - cpu0)


async def discover(url: str, projects: int) -> list[tuple[str, str, str]]:
    """Every pair the simulator's DR lists show: (name, project, DR id)."""
    pairs: list[tuple[str, str, str]] = []
    for i in range(1, projects + 1):
        pid = project_id(i)
        async with DwsClient(url, pid, Credentials(access_key(i), secret_key(i)), timeout=60.0) as client:
            pairs += [(f"p{i}-{item.name}", pid, item.id) for item in await client.list_disaster_recoveries()]
    return pairs


def settings_for(url: str, pairs: list[tuple[str, str, str]], state: Path) -> Settings:
    """The daemon's settings, built in code: project 1's credentials, every pair, recommend mode."""
    data: dict[str, Any] = {
        "cloud": {
            "endpoint": url,
            "project_id": project_id(1),
            "access_key": access_key(1),
            "secret_key": secret_key(1),
            "timeout_seconds": 25,
        },
        "pairs": [{"name": name, "disaster_recovery_id": dr} for name, _, dr in pairs],
        "policy": {"mode": "recommend", "probe_interval_seconds": INTERVAL},
        "state": {"path": str(state)},
    }
    return Settings(**data)


def journal_bytes(path: Path) -> int:
    """The journal's size once its WAL is checkpointed into the main file."""
    raw = sqlite3.connect(path)
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size, pages = raw.execute("PRAGMA page_size").fetchone()[0], raw.execute("PRAGMA page_count")
        return int(page_size) * int(pages.fetchone()[0])
    finally:
        raw.close()


def journal_write_seconds(journal: Journal, count: int, scratch: Path) -> tuple[float, float]:
    """The last `count` recorded rounds written again into fresh journals: (one transaction per pair,
    the old way; one transaction for all, the round's way now), in seconds."""
    recorded = journal.decisions(limit=count)
    rounds = [
        RoundRecord(r.observation, r.decision, r.state_before or PairState(), r.state_before)
        for r in recorded
    ]
    with Journal(scratch.with_suffix(".per-pair.db")) as other:
        t0 = time.perf_counter()
        for r in rounds:
            other.record_many([r])
        per_pair = time.perf_counter() - t0
    with Journal(scratch.with_suffix(".batched.db")) as other:
        t0 = time.perf_counter()
        other.record_many(rounds)
        batched = time.perf_counter() - t0
    return per_pair, batched


async def run_layout(
    url: str, layout: str, projects: int, pairs: list[tuple[str, str, str]], rounds: int, tmp: Path
) -> dict[str, Any]:
    state = tmp / layout / "watchdog.db"
    state.parent.mkdir(parents=True)
    settings = settings_for(url, pairs, state)
    metrics = Metrics(CollectorRegistry(), pairs=[p[0] for p in pairs])
    runtime = Runtime(settings, SystemClock(), metrics, Journal(state))
    extra_clients: list[DwsClient] = []
    if layout == "many-projects":
        clients = {project_id(1): runtime.client}
        for i in range(2, projects + 1):
            client = DwsClient(url, project_id(i), Credentials(access_key(i), secret_key(i)), timeout=25.0)
            clients[project_id(i)] = client
            extra_clients.append(client)
        runtime.prober = Prober(clients, pairs, timeout=INTERVAL * 0.9)
    timed = TimedProber(runtime.prober)
    runtime.prober = timed  # type: ignore[assignment]
    runtime.start()
    try:
        sizes = [journal_bytes(state)]
        walls, cpus, unknown = [], [], 0
        for _ in range(rounds):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            result = await runtime.round()
            walls.append(time.perf_counter() - wall0)
            cpus.append(time.process_time() - cpu0)
            sizes.append(journal_bytes(state))
            unknown = sum(1 for d in result.decisions.values() if d.verdict is Verdict.UNKNOWN)
            decided = len(result.decisions)
        per_pair, batched = journal_write_seconds(runtime.journal, len(pairs), tmp / layout / "scratch")
    finally:
        await runtime.close()
        for client in extra_clients:
            await client.aclose()
    rest_walls = [w - p for w, p in zip(walls, timed.walls, strict=True)]
    rest_cpus = [c - p for c, p in zip(cpus, timed.cpus, strict=True)]
    growth = [b - a for a, b in itertools.pairwise(sizes)]
    return {
        "layout": layout,
        "projects": projects if layout == "many-projects" else 1,
        "pairs": len(pairs),
        "rounds": rounds,
        "decisions_last_round": decided,
        "unknown_verdicts_last_round": unknown,
        "round_wall_seconds_median": round(statistics.median(walls), 3),
        "round_wall_seconds_max": round(max(walls), 3),
        "round_cpu_seconds_median": round(statistics.median(cpus), 3),
        "probe_wall_seconds_median": round(statistics.median(timed.walls), 3),
        "probe_cpu_seconds_median": round(statistics.median(timed.cpus), 3),
        "decide_record_report_wall_seconds_median": round(statistics.median(rest_walls), 3),
        "decide_record_report_cpu_seconds_median": round(statistics.median(rest_cpus), 3),
        "journal_growth_bytes_per_round_median": int(statistics.median(growth)),
        "journal_growth_bytes_per_pair_round": round(statistics.median(growth) / len(pairs)),
        "journal_bytes_after": sizes[-1],
        "journal_write_one_transaction_per_pair_seconds": round(per_pair, 3),
        "journal_write_one_transaction_per_round_seconds": round(batched, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=["one-project", "many-projects", "both"], default="both")
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HOME", tempfile.mkdtemp(prefix="drw-bench-"))
    tune_gc()  # as `dr-watchdog run` does
    setup_logging("json", "INFO", stream=open(os.devnull, "w"))  # noqa: SIM115 - the daemon logs every decision
    logging.getLogger("watchdog.round").info("benchmark start")
    layouts = ["one-project", "many-projects"] if args.layout == "both" else [args.layout]
    results = []
    with tempfile.TemporaryDirectory(prefix="drw-round-", dir=os.environ.get("DRW_BENCH_DIR")) as tmp:
        for layout in layouts:
            projects = args.projects if layout == "many-projects" else 1
            with simulator(projects, args.pairs // projects) as url:
                pairs = asyncio.run(discover(url, projects))
                results.append(asyncio.run(run_layout(url, layout, projects, pairs, args.rounds, Path(tmp))))
            print(json.dumps(results[-1], indent=2), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
