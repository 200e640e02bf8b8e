"""The daemon as a real subprocess against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import math
import shutil
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Daemon, config_data, free_port, run_cli, running_daemon, wait_for, write_config
from watchdog.journal import Journal
from watchdog.model import IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME, TEST_SECRET_KEY

pytestmark = pytest.mark.slow
PAIR = {"pair": TEST_PAIR_NAME}


def setup(tmp_path: Path, server: SimulatorServer, **policy: Any) -> tuple[Path, int, Path]:
    """A config file for the simulator; returns (config, http port, journal path)."""
    port = free_port()
    state = tmp_path / "state" / "watchdog.db"
    return (
        write_config(tmp_path / "watchdog.yaml", config_data(server.url, state, port, **policy)),
        port,
        state,
    )


def primary(sim: Simulator) -> str:
    return sim.pair(TEST_DR_ID).primary_cluster_id


def true_sync_lag(sim: Simulator) -> float:
    """now - the simulator's own last successful sync of the test pair."""
    detail = sim.dr_detail(TEST_DR_ID)
    raw = detail["primary_cluster"]["last_success_time"]
    last = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return (datetime.now(UTC) - last).total_seconds()


def test_steady_state(tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer) -> None:
    """Healthy production: no failover, production_up 1, and the sync lag within 2 s of the truth."""
    config, port, _ = setup(tmp_path, sim_server)
    with running_daemon(config, port, tmp_path) as daemon:
        wait_for(lambda: (daemon.sample("dr_watchdog_rounds_total") or 0) >= 6, 15, "six rounds")
        time.sleep(2.0)
        assert daemon.sample("dr_watchdog_production_up", **PAIR) == 1
        assert daemon.sample("dr_watchdog_decision", decision="healthy", **PAIR) == 1
        lag = daemon.sample("dr_watchdog_sync_lag_seconds", **PAIR)
        assert (
            lag is not None and abs(lag - true_sync_lag(simulator)) <= 2.0 + 0.5
        )  # one interval stale at most
        assert daemon.sample("dr_watchdog_failovers_total", result="submitted", **PAIR) == 0
        assert daemon.terminate() == 0
    assert simulator.failover_calls() == []


def test_outage_exactly_one_failover(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A production outage: exactly one failover, within the confirmation window plus two intervals."""
    interval, threshold, min_outage = 1.0, 3, 2.0
    config, port, _ = setup(
        tmp_path,
        sim_server,
        probe_interval_seconds=interval,
        failure_threshold=threshold,
        min_outage_seconds=min_outage,
    )
    with running_daemon(config, port, tmp_path) as daemon:
        broken = time.monotonic()
        simulator.fail_cluster(primary(simulator))
        wait_for(lambda: simulator.failover_calls(), 30, "the failover POST")
        elapsed = time.monotonic() - broken
        budget = max(min_outage, threshold * interval) + 2 * interval
        assert elapsed <= budget, f"failover after {elapsed:.1f} s, budget {budget:.1f} s"
        wait_for(
            lambda: daemon.sample("dr_watchdog_failovers_total", result="completed", **PAIR) == 1,
            30,
            "completion",
        )
        time.sleep(3 * interval)
        assert daemon.sample("dr_watchdog_decision", decision="failed_over", **PAIR) == 1
        assert daemon.terminate() == 0
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    decisions = [r for r in daemon.log_records() if r.get("event") == "decision"]
    acted = [r for r in decisions if r["action"] == "failover"]
    assert len(acted) == 1 and acted[0]["state"] == "failover_warranted"
    codes = {reason["code"] for reason in acted[0]["reasons"]}
    assert {"outage_confirmed", "production_down"} <= codes
    assert acted[0]["expected_data_loss_seconds"] is not None


def test_flapping_production_never_fails_over(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """Production failing and recovering faster than the confirmation window: no failover."""
    config, port, _ = setup(tmp_path, sim_server, failure_threshold=3, min_outage_seconds=1.5)
    with running_daemon(config, port, tmp_path) as daemon:
        for _ in range(6):
            simulator.fail_cluster(primary(simulator))
            time.sleep(0.7)
            simulator.recover_cluster(primary(simulator))
            time.sleep(0.7)
        assert (daemon.sample("dr_watchdog_consecutive_down_rounds", **PAIR) or 0) < 3
        assert daemon.terminate() == 0
    assert simulator.failover_calls() == []
    states = {r["state"] for r in daemon.log_records() if r.get("event") == "decision"}
    assert {"suspect", "healthy"} <= states, states  # it saw the flaps, and each recovery reset them
    assert "failover_warranted" not in states


@pytest.mark.parametrize("fault", ["unreachable", "503"])
def test_blind_watchdog_never_fails_over(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, fault: str
) -> None:
    """API unreachable or answering 503 while production fails: no failover, production_up never 0."""
    config, port, _ = setup(tmp_path, sim_server, failure_threshold=2, min_outage_seconds=0.5)
    with running_daemon(config, port, tmp_path) as daemon:
        if fault == "503":
            simulator.inject(kind="error", status=503)
        else:
            simulator.unreachable()
        simulator.fail_cluster(primary(simulator))
        seen: list[float | None] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen.append(daemon.sample("dr_watchdog_production_up", **PAIR))
            time.sleep(0.25)
        assert all(v is None or math.isnan(v) or v == 1 for v in seen[4:]), seen
        assert 0.0 not in seen
        assert daemon.sample("dr_watchdog_decision", decision="unknown", **PAIR) == 1
        assert daemon.terminate() == 0
    assert simulator.failover_calls() == []


def test_sigterm_mid_failover_then_restart_finishes(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """SIGTERM while a failover is tracked: exit 0, journal: submitted; a restart finishes, no 2nd POST."""
    simulator.configure_pair(TEST_DR_ID, failover_seconds=8.0)
    config, port, state = setup(tmp_path, sim_server, failure_threshold=2, min_outage_seconds=0.5)
    daemon = Daemon(config, port, tmp_path, "first")
    try:
        daemon.wait_ready()
        simulator.fail_cluster(primary(simulator))
        wait_for(lambda: simulator.failover_calls(), 20, "the failover POST")
        time.sleep(0.5)
        assert daemon.terminate(signal.SIGTERM) == 0
    finally:
        daemon.kill()
    with Journal(state) as journal:
        intents = journal.intents(TEST_PAIR_NAME)
        assert [i.status for i in intents] == [IntentStatus.SUBMITTED]
    with running_daemon(config, port, tmp_path, "second") as second:
        wait_for(
            lambda: second.sample("dr_watchdog_decision", decision="failed_over", **PAIR) == 1,
            30,
            "failed_over",
        )
        assert second.terminate() == 0
    with Journal(state) as journal:
        assert [i.status for i in journal.intents(TEST_PAIR_NAME)] == [IntentStatus.COMPLETED]
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["policy"].update(failure_threshold=0), "policy.failure_threshold"),
        (lambda d: d["cloud"].update(secret_key=None), "cloud.secret_key"),
        (lambda d: d["pairs"][0].update(disaster_recovery_id="x"), "pairs[0].disaster_recovery_id"),
        (lambda d: d.update(polcy={}), "polcy"),
        (lambda d: d["http"].update(listen="localhost"), "http.listen"),
    ],
)
def test_bad_config_exits_2(tmp_path: Path, mutate: Any, field: str) -> None:
    """`run` with a bad configuration exits 2 with one stderr line naming the field, no traceback."""
    data = config_data("http://127.0.0.1:9", tmp_path / "j.db", free_port())
    mutate(data)
    result = run_cli("run", "--config", str(write_config(tmp_path / "bad.yaml", data)), tmp=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"config error: {field}:" in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_secret_key_never_leaks(tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer) -> None:
    """The SK is in none of: stdout, stderr, /metrics, /status, check-config, even through an outage."""
    config, port, _ = setup(tmp_path, sim_server, failure_threshold=2, min_outage_seconds=0.5)
    seen: list[str] = []
    with running_daemon(config, port, tmp_path) as daemon:
        simulator.fail_cluster(primary(simulator))
        wait_for(lambda: simulator.failover_calls(), 20, "the failover POST")
        seen += [daemon.metrics_text(), daemon.get("/status").text]
        assert daemon.terminate() == 0
        seen += [daemon.stdout(), daemon.stderr()]
    checked = run_cli("check-config", "--config", str(config), tmp=tmp_path)
    assert checked.returncode == 0
    seen += [checked.stdout, checked.stderr]
    assert all(TEST_SECRET_KEY not in text for text in seen)
    assert '"decision"' in seen[2] or "decision" in seen[2]  # the log was really written


def test_promtool_on_real_metrics(tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer) -> None:
    """promtool check metrics is clean on the daemon's real /metrics output."""
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: `make tools` installs Debian's prometheus package"
    config, port, _ = setup(tmp_path, sim_server)
    with running_daemon(config, port, tmp_path) as daemon:
        wait_for(lambda: (daemon.sample("dr_watchdog_rounds_total") or 0) >= 2, 15, "two rounds")
        text = daemon.metrics_text()
        assert daemon.terminate() == 0
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text.encode(), capture_output=True, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert "dr_watchdog_api_requests_total" in text and "process_cpu_seconds_total" in text


def test_sigint_stops_cleanly(tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer) -> None:
    """SIGINT (Ctrl-C in a terminal) is a graceful stop like SIGTERM: exit 0, no traceback."""
    config, port, _ = setup(tmp_path, sim_server)
    with running_daemon(config, port, tmp_path) as daemon:
        assert daemon.terminate(signal.SIGINT) == 0
        assert "Traceback" not in daemon.stderr() + daemon.stdout()


def test_listen_address_in_use_is_one_line_exit_1(tmp_path: Path, sim_server: SimulatorServer) -> None:
    """An HTTP address already taken ends the daemon at once: exit 1, one line naming http.listen and
    the reason (no exception class name), and no journal file is created."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        config, _, _ = setup(tmp_path, sim_server)
        data = config_data(sim_server.url, tmp_path / "j.db", port)
        result = run_cli("run", "--config", str(write_config(config, data)), tmp=tmp_path, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert (
        result.stderr
        == f"dr-watchdog: error: http.listen: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
    assert not (tmp_path / "j.db").exists()


def test_wrong_secret_key_is_blind_not_down(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A wrong SK: every call is a 401, production is unknown (never down), and the key appears nowhere."""
    wrong = "wrong-secret-key-for-this-test-0000000001"
    port = free_port()
    data = config_data(sim_server.url, tmp_path / "j.db", port)
    data["cloud"]["secret_key"] = wrong
    config = write_config(tmp_path / "wrong.yaml", data)
    with running_daemon(config, port, tmp_path) as daemon:
        simulator.fail_cluster(primary(simulator))
        wait_for(lambda: (daemon.sample("dr_watchdog_rounds_total") or 0) >= 4, 15, "four rounds")
        assert (daemon.sample("dr_watchdog_api_requests_total", code="401") or 0) > 0
        assert daemon.sample("dr_watchdog_decision", decision="unknown", **PAIR) == 1
        up = daemon.sample("dr_watchdog_production_up", **PAIR)
        texts = [daemon.metrics_text(), daemon.get("/status").text]
        assert daemon.terminate() == 0
        texts += [daemon.stdout(), daemon.stderr()]
    assert up is not None and math.isnan(up)
    assert all(wrong not in text for text in texts)
    assert simulator.failover_calls() == []


@pytest.mark.parametrize("path", ["/proc/no-such-dir/watchdog.db", "/dev/full"])
def test_a_journal_that_cannot_be_opened_is_one_line_exit_1(tmp_path: Path, path: str) -> None:
    """A state.path that cannot hold a journal (no such place, a full device) ends `run` at once:
    exit 1, one stderr line naming state.path and the reason, no traceback."""
    data = config_data("http://127.0.0.1:9", Path(path), free_port())
    result = run_cli(
        "run", "--config", str(write_config(tmp_path / "c.yaml", data)), tmp=tmp_path, timeout=30
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "(state.path)" in lines[0] and path in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_frozen_daemon_discards_its_first_round_after_waking(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """SIGSTOP for 3 s (six intervals), then SIGCONT: the first round after waking starts far later
    than scheduled, so it is journaled as unknown with round_late and counted in rounds_late_total;
    the rounds after it are on schedule and healthy again."""
    config, port, state = setup(tmp_path, sim_server)
    with running_daemon(config, port, tmp_path) as daemon:
        wait_for(lambda: (daemon.sample("dr_watchdog_rounds_total") or 0) >= 3, 15, "three rounds")
        assert daemon.sample("dr_watchdog_rounds_late_total") == 0
        daemon.proc.send_signal(signal.SIGSTOP)
        try:
            time.sleep(3.0)
        finally:
            daemon.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: (daemon.sample("dr_watchdog_rounds_late_total") or 0) >= 1, 15, "a late round")
        wait_for(
            lambda: daemon.sample("dr_watchdog_decision", decision="healthy", **PAIR) == 1,
            15,
            "healthy again",
        )
        assert daemon.terminate() == 0
    with Journal(state) as journal:
        rules = [d.decision.rule.value for d in journal.decisions(TEST_PAIR_NAME)]
    assert "round_late" in rules
    assert simulator.failover_calls() == []
