"""Failover readiness end to end: the daemon (auto mode) watches a healthy pair in the simulator;
each reason driven there turns dr_watchdog_failover_ready to 0 with that reason, and back to 1 when
undone; DrFailoverNotReady fires in a real Prometheus (alerts.yml, every `for:` at 1 s)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.deploy.daemon import PAIR, running_daemon, samples, scrape
from tests.deploy.servers import prometheus
from tests.deploy.test_prometheus_e2e import _fast_rules, _wait_firing
from watchdog.simulator import FaultKind, Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID

pytestmark = pytest.mark.slow


def readiness(base: str) -> tuple[float | None, set[str]]:
    """(failover_ready, the failover_not_ready reasons) of the test pair, from /metrics."""
    ready, reasons = None, set()
    for name, labels, value in samples(scrape(base)):
        if labels.get("pair") != PAIR:
            continue
        if name == "dr_watchdog_failover_ready":
            ready = value
        elif name == "dr_watchdog_failover_not_ready" and value == 1:
            reasons.add(labels["reason"])
    return ready, reasons


def wait_readiness(base: str, ready: float, reason: str | None, timeout: float = 15) -> set[str]:
    end = time.monotonic() + timeout
    seen: tuple[float | None, set[str]] = (None, set())
    while time.monotonic() < end:
        seen = readiness(base)
        if seen[0] == ready and (reason in seen[1] if reason else not seen[1]):
            return seen[1]
        time.sleep(0.2)
    raise AssertionError(f"wanted ready={ready} with {reason}, saw {seen}")


def _cli(config: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "watchdog", *args, "--config", str(config)], capture_output=True
    )
    assert done.returncode == 0, done.stderr


def test_each_reason_turns_readiness_off_and_alerts(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    pair = simulator.pair(TEST_DR_ID)
    standby, config = pair.standby_cluster_id, tmp_path / "watchdog.yaml"
    old_sync = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def override(object_id: str, **fields: str) -> Callable[[], object]:
        return lambda: simulator.override(object_id, **fields)

    def cli(*args: str) -> Callable[[], None]:
        return lambda: _cli(config, *args, "--pair", PAIR)

    refused = {"kind": FaultKind.ERROR, "status": 401, "error_code": "APIGW.0301", "error_msg": "bad AK"}
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("dr_cluster_unhealthy", override(standby, status="FROZEN"), override(standby)),
        ("version_too_old", override(standby, version="8.1.1.100"), override(standby)),
        ("version_unknown", override(standby, version="junk"), override(standby)),
        ("dr_task_state", override(TEST_DR_ID, status="stopped"), override(TEST_DR_ID)),
        ("switch_in_progress", override(TEST_DR_ID, status="switchovering"), override(TEST_DR_ID)),
        ("data_loss_exceeded", override(TEST_DR_ID, last_disaster_time=old_sync), override(TEST_DR_ID)),
        ("credentials_failing", lambda: simulator.inject(**refused), simulator.clear_faults),
        ("paused", cli("pause", "--reason", "drill"), cli("resume")),
    ]
    with running_daemon(sim_server.url, tmp_path, mode="auto") as daemon:
        assert wait_readiness(daemon, 1, None) == set()  # a healthy pair in auto mode is ready
        with prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path)) as prom:
            for reason, apply, undo in cases:
                apply()
                wait_readiness(daemon, 0, reason)
                if reason == "dr_cluster_unhealthy":
                    alert = _wait_firing(prom, {"DrFailoverNotReady"})["DrFailoverNotReady"]
                    assert alert["labels"]["reason"] == reason and alert["labels"]["pair"] == PAIR
                undo()
                wait_readiness(daemon, 1, None)
    assert simulator.failover_calls() == []  # readiness only reports: nothing acted


def _sample(base: str, name: str) -> float | None:
    found = [v for n, labels, v in samples(scrape(base)) if n == name and labels.get("pair") == PAIR]
    return found[0] if found else None


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, what
        time.sleep(0.2)


def test_old_primary_back_after_a_failover_raises_split_brain_alert(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """Auto mode fails over; while latched the old production is watched: 0 while it is down, 1 (and
    DrOldPrimaryReachable) once it is AVAILABLE again; before the failover the series does not exist."""
    old = simulator.pair(TEST_DR_ID).primary_cluster_id
    with running_daemon(sim_server.url, tmp_path, mode="auto") as daemon:
        wait_readiness(daemon, 1, None)
        assert _sample(daemon, "dr_watchdog_old_primary_reachable") is None
        with prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path)) as prom:
            simulator.fail_cluster(old)
            _wait(lambda: _sample(daemon, "dr_watchdog_old_primary_reachable") == 0, "latched, old side down")
            assert {"latched", "cooldown"} <= readiness(daemon)[1]  # not ready again until ack
            assert len(simulator.failover_calls(TEST_DR_ID)) == 1
            simulator.recover_cluster(old)
            _wait(lambda: _sample(daemon, "dr_watchdog_old_primary_reachable") == 1, "old side reachable")
            alert = _wait_firing(prom, {"DrOldPrimaryReachable"})["DrOldPrimaryReachable"]
            assert alert["labels"]["pair"] == PAIR
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
