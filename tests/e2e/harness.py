"""Helpers for end-to-end tests: the daemon as a real subprocess, its HTTP face read over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from watchdog.simulator.testing import (
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
)

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_data(sim_url: str, state_path: Path, port: int, **policy: Any) -> dict[str, Any]:
    """A configuration for the test pair against the simulator: fast rounds, small thresholds, auto mode."""
    return {
        "cloud": {
            "endpoint": sim_url,
            "project_id": TEST_PROJECT_ID,
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "verify_tls": False,
            "timeout_seconds": 0.4,
        },
        "pairs": [{"name": TEST_PAIR_NAME, "disaster_recovery_id": TEST_DR_ID}],
        "policy": {
            "mode": "auto",
            "probe_interval_seconds": 0.5,
            "failure_threshold": 3,
            "min_outage_seconds": 1.0,
            "max_data_loss_seconds": 3600,
            "cooldown_seconds": 3600,
            **policy,
        },
        "failover": {"poll_interval_seconds": 0.3, "settle_seconds": 5, "unknown_grace_seconds": 5},
        "state": {"path": str(state_path)},
        "http": {"listen": f"127.0.0.1:{port}"},
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def child_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no DRW_ variables from the caller, HOME in the test's temp dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRW_", "NOTIFY_SOCKET", "CREDENTIALS_"))}
    env.update({"HOME": str(tmp), "PYTHONUNBUFFERED": "1", **extra})
    return env


def run_cli(*args: str, tmp: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m watchdog ARGS` to completion, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "watchdog", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp,
        env=child_env(tmp, **env),
        check=False,
    )


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll `predicate` until it returns something truthy; AssertionError naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Daemon:
    """A running `python -m watchdog run` with its stdout/stderr in files and its HTTP base URL."""

    def __init__(self, config: Path, port: int, tmp: Path, name: str = "daemon", **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.config = config
        self.stdout_path = tmp / f"{name}.stdout"
        self.stderr_path = tmp / f"{name}.stderr"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "watchdog", "run", "--config", str(config)],
                stdout=out,
                stderr=err,
                cwd=tmp,
                env=child_env(tmp, **env),
            )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=2.0)

    def wait_ready(self, timeout: float = 20.0) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.stderr()[-2000:]}")
            return self.get("/readyz").status_code == 200

        wait_for(ready, timeout, "/readyz")

    def metrics_text(self) -> str:
        return self.get("/metrics").text

    def sample(self, name: str, **labels: str) -> float | None:
        """The value of one sample of /metrics (None if absent)."""
        for family in text_string_to_metric_families(self.metrics_text()):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
        return None

    def status(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.get("/status").text)
        return data

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far."""
        lines = self.stdout_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def terminate(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send `sig` and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@contextmanager
def running_daemon(config: Path, port: int, tmp: Path, name: str = "daemon", **env: str) -> Iterator[Daemon]:
    """A daemon that is ready on entry and always gone on exit (SIGKILL if a test left it running)."""
    daemon = Daemon(config, port, tmp, name, **env)
    try:
        daemon.wait_ready()
        yield daemon
    finally:
        daemon.kill()
