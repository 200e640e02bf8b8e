"""Benchmark: the daemon's cost at scale, measured from outside the process as a user would see it
(issue 14). The simulator runs as its own process with N healthy pairs in one project; the daemon
runs as a real process (`python -m watchdog run`, recommend mode); its CPU and memory are read from
/proc, its /metrics over HTTP.

    .venv/bin/python -m benchmarks.scale --pairs 100 1000 5000 --interval 10 --rounds 3
    .venv/bin/python -m benchmarks.scale --pairs 5000 --profile /tmp/drw-profile   # py-spy, then
    .venv/bin/python -m benchmarks.profile_top /tmp/drw-profile-5000.txt

Prints one JSON object per size: start-up to the first decided round, daemon CPU per round with no
scrape in the window, one scrape's wall time and the daemon CPU it costs (the first scrape after a
round renders; a second one is served from the same bytes), samples and bytes per scrape, samples
per pair, peak resident memory, API requests per round. Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.probe_round import access_key, project_id, secret_key, simulator
from tests.deploy.servers import free_port, stop
from watchdog.dws.client import DwsClient
from watchdog.dws.signing import Credentials

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def dr_ids(url: str, projects: int = 1) -> list[tuple[int, str]]:
    """(project number, DR task id) of every pair the simulator holds, project by project."""
    found: list[tuple[int, str]] = []
    for i in range(1, projects + 1):
        client = DwsClient(url, project_id(i), Credentials(access_key(i), secret_key(i)), timeout=60.0)
        try:
            found += [(i, item.id) for item in await client.list_disaster_recoveries()]
        finally:
            await client.aclose()
    return found


def endpoint_of(project: int) -> str:
    """The endpoint name a pair of this project names: the `cloud` block for project 1."""
    return "default" if project == 1 else f"p{project}"


def config(url: str, pairs: list[tuple[int, str]], tmp: Path, port: int, interval: float) -> Path:
    """The daemon's configuration: project 1 is the `cloud` block, every other project an endpoint."""
    projects = sorted({p for p, _ in pairs} - {1})
    endpoints = {
        endpoint_of(i): {
            "region": "cn-north-4",
            "endpoint": url,
            "project_id": project_id(i),
            "access_key": access_key(i),
            "secret_key": secret_key(i),
        }
        for i in projects
    }
    listed = [
        {"name": f"b-{n}", "disaster_recovery_id": dr, "production": endpoint_of(p)}
        for n, (p, dr) in enumerate(pairs)
    ]
    data = {
        "cloud": {
            "endpoint": url,
            "project_id": project_id(1),
            "access_key": access_key(1),
            "secret_key": secret_key(1),
            "verify_tls": False,
            "timeout_seconds": min(30.0, interval * 0.8),
        },
        "endpoints": endpoints,
        "pairs": listed,
        "policy": {"mode": "recommend", "probe_interval_seconds": interval},
        "state": {"path": str(tmp / "state" / "watchdog.db")},
        "http": {"listen": f"127.0.0.1:{port}"},
        "log": {"format": "json", "level": "WARNING"},
    }
    path = tmp / "watchdog.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as resp:
        body: bytes = resp.read()
        return body


def scalar(text: str, name: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


def wait_round_after(base: str, rounds: float, timeout: float) -> str:
    """Scrape until rounds_total exceeds `rounds`; the exposition."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            text = get(f"{base}/metrics").decode()
        except OSError:  # not listening yet
            text = ""
        if scalar(text, "dr_watchdog_rounds_total") > rounds:
            return text
        time.sleep(0.5)
    raise SystemExit(f"no round after {rounds} within {timeout} s")


Scrape = tuple[float, float, bytes]  # wall seconds, the daemon's CPU seconds, the body


def timed_get(url: str, pid: int) -> Scrape:
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    body = get(url)
    return time.perf_counter() - wall0, cpu_seconds(pid) - cpu0, body


def rendering_scrapes(base: str, pid: int, interval: float, last: str) -> tuple[list[Scrape], list[Scrape]]:
    """Three scrapes that render (the first after a round published), each followed by one served
    from its bytes. Polled every 0.2 s, so the rendering scrape comes right after the round's end and
    its CPU is the rendering's alone, not a round's running at the same time in another thread."""
    scrapes: list[Scrape] = []
    cached: list[Scrape] = []
    previous = last.encode()
    end = time.monotonic() + interval * 8
    while len(scrapes) < 3 and time.monotonic() < end:
        got = timed_get(f"{base}/metrics", pid)
        if got[2] != previous:  # a new rendering
            scrapes.append(got)
            cached.append(timed_get(f"{base}/metrics", pid))
            previous = got[2]
        time.sleep(0.2)
    if not scrapes:
        raise SystemExit("no round published within the window")
    return scrapes, cached


def py_spy(pid: int, seconds: float, out: str) -> subprocess.Popen[bytes]:
    """py-spy (the bench extra) sampling the daemon for `seconds`, collapsed stacks into `out`."""
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [str(spy), "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "100", "--nolineno"]
    cmd += ["-f", "raw", "-o", out]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(
    url: str, pairs: list[tuple[int, str]], interval: float, rounds: int, profile: str | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="drw-scale-") as tmp_name:
        tmp, port = Path(tmp_name), free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [
            sys.executable,
            "-m",
            "watchdog",
            "run",
            "--config",
            str(config(url, pairs, tmp, port, interval)),
        ]
        env = {**os.environ, "HOME": tmp_name}
        started, profiler = time.monotonic(), None
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp, env=env)
        try:
            first = wait_round_after(base, 0, 300)
            startup = time.monotonic() - started
            # CPU per round with no scrape in the window: scrape, read CPU, wait, read CPU, scrape
            before = wait_round_after(base, scalar(first, "dr_watchdog_rounds_total"), interval * 3)
            r0 = scalar(before, "dr_watchdog_rounds_total")
            q0 = scalar(before, "dr_watchdog_api_requests_total")
            c0 = cpu_seconds(proc.pid)
            if profile is not None:
                profiler = py_spy(proc.pid, interval * rounds, profile)
            time.sleep(interval * rounds + interval / 2)
            c1 = cpu_seconds(proc.pid)
            after = get(f"{base}/metrics").decode()
            r1, q1 = (
                scalar(after, "dr_watchdog_rounds_total"),
                scalar(after, "dr_watchdog_api_requests_total"),
            )
            scrapes, cached = rendering_scrapes(base, proc.pid, interval, after)
            body = scrapes[-1][2]
            samples = [s for f in text_string_to_metric_families(body.decode()) for s in f.samples]
            per_pair = sum(1 for s in samples if "pair" in s.labels) / len(pairs)
            done = max(r1 - r0, 1)
            per_round = (c1 - c0) / done
            scrape_cpu = statistics.median(s[1] for s in scrapes)
            return {
                "pairs": len(pairs),
                "projects": len({p for p, _ in pairs}),
                "interval_seconds": interval,
                "startup_to_first_round_seconds": round(startup, 2),
                "rounds_in_window": int(r1 - r0),
                "cpu_seconds_per_round_no_scrape": round(per_round, 3),
                "cpu_share_of_a_core_no_scrape": round((c1 - c0) / (interval * rounds + interval / 2), 3),
                # the target's measure: a round every interval plus one (rendering) scrape every 15 s
                "cpu_share_with_a_scrape_per_15s": round(per_round / interval + scrape_cpu / 15, 3),
                "scrape_wall_seconds_median": round(statistics.median(s[0] for s in scrapes), 3),
                "scrape_cpu_seconds_median": round(scrape_cpu, 3),
                "cached_scrape_wall_seconds_median": round(statistics.median(s[0] for s in cached), 3),
                "samples_per_scrape": len(samples),
                "bytes_per_scrape": len(body),
                "samples_per_pair": round(per_pair, 1),
                "peak_rss_mb": round(peak_rss_mb(proc.pid), 1),
                "api_requests_per_round": round((q1 - q0) / done, 1),
                "load_average_1m_5m": [round(x, 2) for x in os.getloadavg()[:2]],
            }
        finally:
            if profiler is not None:
                profiler.wait(120)
            stop(proc, 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--projects", type=int, default=1, help="spread the pairs over this many projects (endpoints)"
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="record the daemon with py-spy during the no-scrape window into PREFIX-<pairs>.txt "
        "(collapsed stacks; summarise with benchmarks/profile_top.py)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HOME", tempfile.mkdtemp(prefix="drw-bench-"))
    print(f"# {' '.join([sys.executable, *sys.argv])}", flush=True)
    for n in args.pairs:
        with simulator(args.projects, n // args.projects) as url:
            pairs = asyncio.run(dr_ids(url, args.projects))
            profile = f"{args.profile}-{n}.txt" if args.profile else None
            print(json.dumps(measure(url, pairs, args.interval, args.rounds, profile)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
