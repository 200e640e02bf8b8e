"""Start Debian's Alertmanager and Prometheus on 127.0.0.1 with temp data dirs; stop them by PID."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.deploy.tools import tool


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 5) -> Any:
    """GET a loopback URL and decode its JSON."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def wait_until_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline: float = 30) -> None:
    """Poll `url` until it answers 200; fail with the server's log if it dies or never answers."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"{url} server exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready after {deadline} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[Any], grace: float = 10) -> None:
    """SIGTERM the process by its PID; SIGKILL if it lingers past `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@contextmanager
def running(cmd: list[str], ready_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends; SIGTERM by PID, SIGKILL if it lingers."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(ready_url, proc, log)
            yield proc
        finally:
            stop(proc)


@contextmanager
def alertmanager(tmp: Path, webhook_url: str) -> Iterator[str]:
    """A real Alertmanager routing every alert to `webhook_url` at once; yields its base URL."""
    config = tmp / "alertmanager.yml"
    route = {
        "receiver": "hook",
        "group_by": ["alertname", "pair"],
        "group_wait": "1s",
        "group_interval": "1s",
    }
    receivers = [{"name": "hook", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}]
    config.write_text(json.dumps({"route": route, "receivers": receivers}))
    check = subprocess.run([tool("amtool"), "check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        tool("prometheus-alertmanager"),
        f"--config.file={config}",
        f"--storage.path={tmp / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with running(cmd, f"{base}/-/ready", tmp / "alertmanager.log"):
        yield base


@contextmanager
def prometheus(tmp: Path, target: str, rules: Path, alertmanager_url: str | None = None) -> Iterator[str]:
    """A real Prometheus scraping `target` (host:port) as job dr-watchdog every second; yields its URL."""
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "dr-watchdog", "static_configs": [{"targets": [target]}]}],
    }
    if alertmanager_url is not None:
        host = alertmanager_url.removeprefix("http://")
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [host]}]}]}
    path = tmp / "prometheus.yml"
    path.write_text(json.dumps(config))
    check = subprocess.run([tool("promtool"), "check", "config", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        tool("prometheus"),
        f"--config.file={path}",
        f"--storage.tsdb.path={tmp / 'prom-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with running(cmd, f"{base}/-/ready", tmp / "prometheus.log"):
        yield base
