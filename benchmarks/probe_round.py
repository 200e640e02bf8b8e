"""Benchmark: one probe round over many DR pairs in many projects (roadmap item 4, "Scale").

The target is one daemon for 5,000 pairs across dozens of projects at a 10 s interval on one core,
with cloud API requests per round growing with projects, not pairs. This starts the simulator as
its own process (so its CPU is not counted), then times probe rounds and counts requests.

    .venv/bin/python -m benchmarks.probe_round --projects 50 --pairs-per-project 100 --rounds 5

Prints one JSON object: wall seconds per round, watchdog CPU seconds per round, requests per
round, and the number of observations with an UNKNOWN production verdict (should be 0).
Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import yaml

from tests.deploy.servers import stop
from watchdog.dws.client import DwsClient
from watchdog.dws.signing import Credentials
from watchdog.model import Verdict
from watchdog.policy import production_verdict
from watchdog.probes import Prober


def project_id(i: int) -> str:
    return f"{i:032x}"


def access_key(i: int) -> str:
    return f"BENCHAK{i:013d}"


def secret_key(i: int) -> str:
    return f"benchSecretKey{i:026d}"


def write_scenario(path: Path, projects: int, per_project: int) -> None:
    """A simulator world: one credential per project and `per_project` bulk pairs in each."""
    scenario = {
        "time_scale": 1.0,
        "seed": 11,
        "credentials": [
            {"access_key": access_key(i), "secret_key": secret_key(i), "project_id": project_id(i)}
            for i in range(1, projects + 1)
        ],
        "pairs": [],
        "bulk": [
            {
                "project_id": project_id(i),
                "count": per_project,
                "prefix": f"p{i}",
                "sync_interval_seconds": 300,
            }
            for i in range(1, projects + 1)
        ],
        "timeline": [],
    }
    path.write_text(yaml.safe_dump(scenario))


def start_simulator(scenario: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchdog",
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            str(scenario),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, match.group(1)


async def discover_pairs(clients: dict[str, DwsClient]) -> list[tuple[str, str, str]]:
    """The pairs each project's DR list shows: (name, project, DR id)."""
    pairs: list[tuple[str, str, str]] = []
    for pid, client in clients.items():
        for item in await client.list_disaster_recoveries():
            pairs.append((f"{pid[-4:]}-{item.name}", pid, item.id))
    return pairs


async def run(url: str, projects: int, rounds: int) -> dict[str, object]:
    requests: Counter[str] = Counter()

    def observer(operation: str, code: str, seconds: float) -> None:
        requests[operation] += 1

    clients = {
        project_id(i): DwsClient(
            url, project_id(i), Credentials(access_key(i), secret_key(i)), timeout=30.0, observer=observer
        )
        for i in range(1, projects + 1)
    }
    try:
        pairs = await discover_pairs(clients)
        prober = Prober(clients, pairs, timeout=60.0)
        walls, cpus, per_round, unknown = [], [], [], 0
        for _ in range(rounds):
            requests.clear()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            result = await prober.probe_round(datetime.now(UTC))
            walls.append(time.perf_counter() - wall0)
            cpus.append(time.process_time() - cpu0)
            per_round.append(sum(requests.values()))
            unknown = sum(1 for o in result.values() if production_verdict(o.signals) is Verdict.UNKNOWN)
        return {
            "pairs": len(pairs),
            "projects": projects,
            "rounds": rounds,
            "round_wall_seconds_median": round(statistics.median(walls), 3),
            "round_wall_seconds_max": round(max(walls), 3),
            "round_cpu_seconds_median": round(statistics.median(cpus), 3),
            "requests_per_round": per_round[-1],
            "requests_by_operation_last_round": dict(requests),
            "unknown_verdicts_last_round": unknown,
        }
    finally:
        for client in clients.values():
            await client.aclose()


@contextmanager
def simulator(projects: int, per_project: int) -> Iterator[str]:
    """The simulator in its own process with `per_project` healthy pairs in each project; its URL.
    Stopped by its PID when the block ends."""
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "bench.yaml"
        write_scenario(scenario, projects, per_project)
        proc, url = start_simulator(scenario)
        try:
            yield url
        finally:
            stop(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--pairs-per-project", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HOME", tempfile.mkdtemp(prefix="drw-bench-"))
    with simulator(args.projects, args.pairs_per_project) as url:
        print(json.dumps(asyncio.run(run(url, args.projects, args.rounds)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
