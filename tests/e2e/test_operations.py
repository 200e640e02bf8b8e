"""Operator commands beside a running daemon: status, pause, resume, ack, probe, manual failover."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.harness import (
    child_env,
    config_data,
    free_port,
    run_cli,
    running_daemon,
    wait_for,
    write_config,
)
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow
PAIR = {"pair": TEST_PAIR_NAME}


def test_pause_resume_ack_beside_the_daemon(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A pause from the CLI stops automatic action at once; resume lets it act; ack clears the latch."""
    port = free_port()
    data = config_data(
        sim_server.url, tmp_path / "state" / "j.db", port, failure_threshold=2, min_outage_seconds=0.5
    )
    config = write_config(tmp_path / "watchdog.yaml", data)
    cli = ("--config", str(config))
    with running_daemon(config, port, tmp_path) as daemon:
        paused = run_cli(
            "pause", *cli, "--pair", TEST_PAIR_NAME, "--reason", "maintenance window", tmp=tmp_path
        )
        assert paused.returncode == 0, paused.stderr
        wait_for(lambda: daemon.sample("dr_watchdog_decision", decision="paused", **PAIR) == 1, 10, "paused")
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        time.sleep(3.0)
        assert simulator.failover_calls() == []
        status = json.loads(run_cli("status", *cli, "--json", tmp=tmp_path).stdout)
        assert status["pairs"][0]["paused"]["reason"] == "maintenance window"
        assert run_cli("resume", *cli, "--pair", TEST_PAIR_NAME, tmp=tmp_path).returncode == 0
        wait_for(
            lambda: daemon.sample("dr_watchdog_decision", decision="failed_over", **PAIR) == 1, 30, "failover"
        )
        status = json.loads(run_cli("status", *cli, "--json", tmp=tmp_path).stdout)
        assert status["pairs"][0]["latched"] is True
        live = daemon.status()  # GET /status is the same document (rounds go on, so compare the shape)
        assert live.keys() == status.keys() and live["pairs"][0].keys() == status["pairs"][0].keys()
        assert (live["pairs"][0]["state"], live["pairs"][0]["latched"]) == ("failed_over", True)
        text = run_cli("status", *cli, tmp=tmp_path).stdout
        assert f"{TEST_PAIR_NAME}: failed_over" in text and "LATCHED" in text
        acked = run_cli("ack", *cli, "--pair", TEST_PAIR_NAME, tmp=tmp_path)
        assert acked.returncode == 0 and "re-armed" in acked.stdout
        assert (
            json.loads(run_cli("status", *cli, "--json", tmp=tmp_path).stdout)["pairs"][0]["latched"] is False
        )
        assert daemon.terminate() == 0
    assert len(simulator.failover_calls()) == 1


def test_probe_and_manual_failover(tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer) -> None:
    """probe acts on nothing; a manual failover of a FAILED production with --yes goes through the
    executor once (exit 0) and shows production, the DR side and the expected data loss first."""
    data = config_data(sim_server.url, tmp_path / "state" / "j.db", free_port(), mode="observe")
    config = write_config(tmp_path / "watchdog.yaml", data)
    probed = run_cli("probe", "--config", str(config), "--json", tmp=tmp_path)
    assert probed.returncode == 0, probed.stderr
    doc = json.loads(probed.stdout)
    assert doc[0]["decision"]["state"] == "healthy"
    assert simulator.failover_calls() == []
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
    done = run_cli("failover", "--config", str(config), "--pair", TEST_PAIR_NAME, "--yes", tmp=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{TEST_PAIR_NAME}: production FAILED (this round's verdict: down)" in done.stdout
    assert "DR side: cluster AVAILABLE" in done.stdout and "expected data loss: " in done.stdout
    assert "completed" in done.stdout
    again = run_cli("failover", "--config", str(config), "--pair", TEST_PAIR_NAME, "--yes", tmp=tmp_path)
    assert again.returncode == 3, again.stdout + again.stderr
    assert len(simulator.failover_calls()) == 1


def test_manual_failover_of_a_healthy_production_is_refused(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """production AVAILABLE: `failover --yes` shows the state, refuses (exit 3, production_not_down, a
    planned switchover named instead) and sends nothing; `--force` goes through."""
    data = config_data(sim_server.url, tmp_path / "state" / "j.db", free_port(), mode="auto")
    config = write_config(tmp_path / "watchdog.yaml", data)
    cli = ("failover", "--config", str(config), "--pair", TEST_PAIR_NAME, "--yes")
    refused = run_cli(*cli, tmp=tmp_path)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert f"{TEST_PAIR_NAME}: production AVAILABLE (this round's verdict: up)" in refused.stdout
    assert "DR side: cluster AVAILABLE" in refused.stdout and "expected data loss: " in refused.stdout
    (line,) = refused.stderr.splitlines()
    assert "failover refused (production_not_down)" in line and "planned switchover" in line
    assert simulator.failover_calls() == []
    status = json.loads(run_cli("status", "--config", str(config), "--json", tmp=tmp_path).stdout)
    assert status["pairs"][0]["rule"] == "production_not_down"  # the refusal is in the audit trail
    forced = run_cli(*cli, "--force", tmp=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "completed" in forced.stdout
    assert len(simulator.failover_calls()) == 1


def test_manual_failover_not_confirmed_is_exit_4(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """Without --yes the state is shown BEFORE the prompt; anything but the pair name typed back
    aborts with exit 4 (not 1: nothing failed) and sends nothing."""
    data = config_data(sim_server.url, tmp_path / "state" / "j.db", free_port())
    config = write_config(tmp_path / "watchdog.yaml", data)
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
    answered = subprocess.run(
        [sys.executable, "-m", "watchdog", "failover", "--config", str(config), "--pair", TEST_PAIR_NAME],
        input="n\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=child_env(tmp_path),
        check=False,
    )
    assert answered.returncode == 4, answered.stdout + answered.stderr
    shown, prompt = answered.stdout.split("Fail over ")
    assert "production FAILED" in shown and "expected data loss: " in shown
    assert "Type the pair name to confirm" in prompt
    assert answered.stderr == "dr-watchdog: failover aborted (not confirmed)\n"
    assert simulator.failover_calls() == []


def test_export_then_replay_backtests_a_policy(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """History recorded in observe mode, exported and replayed in auto mode, shows the one failover."""
    port = free_port()
    state = tmp_path / "state" / "j.db"
    observe = config_data(
        sim_server.url, state, port, mode="observe", failure_threshold=2, min_outage_seconds=0.5
    )
    config = write_config(tmp_path / "observe.yaml", observe)
    with running_daemon(config, port, tmp_path) as daemon:
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        wait_for(
            lambda: daemon.sample("dr_watchdog_decision", decision="failover_warranted", **PAIR) == 1,
            20,
            "warranted",
        )
        assert daemon.terminate() == 0
    assert simulator.failover_calls() == []
    timeline = tmp_path / "timeline.jsonl"
    exported = run_cli("export", "--config", str(config), "--output", str(timeline), tmp=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert len(timeline.read_text().splitlines()) >= 3
    auto = write_config(tmp_path / "auto.yaml", {**observe, "policy": {**observe["policy"], "mode": "auto"}})
    replayed = run_cli("replay", "--config", str(auto), "--timeline", str(timeline), "--json", tmp=tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    *lines, last = [json.loads(line) for line in replayed.stdout.splitlines()]
    assert [line["action"] for line in lines].count("failover") == 1
    summary = last["summary"]  # the backtest ends with what it comes to
    assert summary["decisions"] == len(lines) and summary["by_state"]["failover_warranted"] == 1
    assert summary["first_warranted_failover"]["pair"] == TEST_PAIR_NAME
    text = run_cli("replay", "--config", str(auto), "--timeline", str(timeline), tmp=tmp_path).stdout
    assert f"  first warranted failover: {summary['first_warranted_failover']['at']} {TEST_PAIR_NAME}" in text


def test_secret_from_systemd_credentials(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """The SK only in $CREDENTIALS_DIRECTORY/cloud_secret_key (systemd LoadCredential=): the daemon signs
    with it, sees production healthy, and never prints it; check-config shows it masked."""
    port = free_port()
    data = config_data(sim_server.url, tmp_path / "state" / "j.db", port)
    secret = data["cloud"].pop("secret_key")
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "cloud_secret_key").write_text(secret + "\n")
    config = write_config(tmp_path / "watchdog.yaml", data)
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    with running_daemon(config, port, tmp_path, **env) as daemon:
        wait_for(lambda: daemon.sample("dr_watchdog_production_up", **PAIR) == 1, 15, "production seen up")
        assert daemon.terminate() == 0
        printed = daemon.stdout() + daemon.stderr()
    checked = run_cli("check-config", "--config", str(config), tmp=tmp_path, CREDENTIALS_DIRECTORY=str(creds))
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["cloud"]["secret_key"] == "**********"
    assert secret not in printed + checked.stdout + checked.stderr
