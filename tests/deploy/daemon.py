"""The real daemon (`python -m watchdog run`) against the simulator, for the deploy tests.

Started as a subprocess with a fast policy on 127.0.0.1, stopped by its PID with SIGTERM.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.servers import free_port, stop, wait_until_ready
from watchdog.simulator.testing import (
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
)

PAIR = TEST_PAIR_NAME


def daemon_config(
    sim_url: str, tmp: Path, port: int, extra: dict[str, Any] | None = None, **policy: Any
) -> Path:
    """A config file for the simulator's test pair: rounds every 0.5 s, a short confirmation window."""
    data = {
        "cloud": {
            "endpoint": sim_url,
            "project_id": TEST_PROJECT_ID,
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "verify_tls": False,
            "timeout_seconds": 0.4,
        },
        "pairs": [{"name": PAIR, "disaster_recovery_id": TEST_DR_ID}],
        "policy": {
            "mode": "recommend",
            "probe_interval_seconds": 0.5,
            "failure_threshold": 2,
            "min_outage_seconds": 1.0,
            **policy,
        },
        "state": {"path": str(tmp / "state" / "watchdog.db")},
        "http": {"listen": f"127.0.0.1:{port}"},
        **(extra or {}),
    }
    path = tmp / "watchdog.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@contextmanager
def running_daemon(
    sim_url: str,
    tmp: Path,
    extra: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    **policy: Any,
) -> Iterator[str]:
    """Run the daemon until the block ends; yields its base URL once /readyz answers 200.

    `extra` adds config sections (notifications, hooks); `environ` adds environment variables.
    """
    port = free_port()
    config = daemon_config(sim_url, tmp, port, extra, **policy)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRW_", "NOTIFY_SOCKET", "CREDENTIALS_"))}
    env |= {"HOME": str(tmp), "PYTHONUNBUFFERED": "1", **(environ or {})}
    log = tmp / "daemon.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        cmd = [sys.executable, "-m", "watchdog", "run", "--config", str(config)]
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp, env=env)
        try:
            wait_until_ready(f"{base}/readyz", proc, log)
            yield base
        finally:
            stop(proc, 15)


def scrape(base: str) -> str:
    """The daemon's /metrics text."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
        text: str = resp.read().decode()
        return text


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample in a Prometheus text exposition."""
    return [
        (s.name, dict(s.labels), s.value) for f in text_string_to_metric_families(text) for s in f.samples
    ]


def exported_names(text: str) -> set[str]:
    """Every series name the exposition defines: sample names, plus the names of families that have no
    sample yet (`<name>_total` for a counter: labelled counters appear at their first increment, e.g.
    notifications; a gauge whose series exist only while they hold, e.g. failover_blocked)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names |= {s.name for s in family.samples}
        if not family.samples:
            names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def wait_for_sample(base: str, name: str, timeout: float = 15, **labels: str) -> float:
    """Poll /metrics until the sample exists; its value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for sample_name, sample_labels, value in samples(scrape(base)):
            if sample_name == name and labels.items() <= sample_labels.items():
                return value
        time.sleep(0.2)
    raise AssertionError(f"no sample {name}{labels} within {timeout} s")
