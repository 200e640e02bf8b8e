"""A manual failover and the daemon as two real processes on one journal, against the simulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import child_env, config_data, free_port, running_daemon, wait_for, write_config
from watchdog.journal import Journal
from watchdog.model import IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow
PAIR = {"pair": TEST_PAIR_NAME}
# The veto hook: say it started, then allow once the test creates the `go` file.
WAIT_FOR_GO = (
    "import pathlib, sys, time\n"
    "pathlib.Path(sys.argv[1]).write_text('started')\n"
    "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.05)\n"
)


def test_daemon_starting_while_a_cli_failover_awaits_its_veto_hook(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """`dr-watchdog failover` waits in its pre-failover hook (intent journaled, not sent) while the
    daemon (auto mode) starts and reconciles. The daemon leaves the live CLI's unsent intent to it
    (holding the pair as failing over) instead of closing it and failing over itself; the CLI then
    sends it: exactly one failover POST, the CLI's, completed, and the daemon, which followed it,
    counts its submission and completion once each."""
    started, go = tmp_path / "hook-started", tmp_path / "go"
    port = free_port()
    data = config_data(sim_server.url, tmp_path / "state" / "j.db", port)
    hook = [sys.executable, "-c", WAIT_FOR_GO, str(started), str(go)]
    data["hooks"] = {"pre_failover": {"command": hook, "timeout_seconds": 120}}
    config = write_config(tmp_path / "watchdog.yaml", data)
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
    argv = ["failover", "--config", str(config), "--pair", TEST_PAIR_NAME, "--yes"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "watchdog", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=child_env(tmp_path),
    )
    try:
        wait_for(started.exists, 60, "the CLI's veto hook to start")
        with running_daemon(config, port, tmp_path) as daemon:
            held = dict(decision="failing_over", **PAIR)
            wait_for(lambda: daemon.sample("dr_watchdog_decision", **held) == 1, 30, "failing_over")
            wait_for(lambda: (daemon.sample("dr_watchdog_rounds_total") or 0) >= 8, 30, "rounds")
            assert simulator.requests("switch_failover_disaster") == []
            go.write_text("go")
            out, err = cli.communicate(timeout=120)
            assert cli.returncode == 0, out + err
            wait_for(
                lambda: daemon.sample("dr_watchdog_decision", decision="failed_over", **PAIR), 30, "latch"
            )
            assert daemon.terminate() == 0
    finally:
        go.write_text("go")
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert len(simulator.requests("switch_failover_disaster")) == 1
    with Journal(tmp_path / "state" / "j.db") as journal:
        [intent] = journal.intents(TEST_PAIR_NAME)
    assert intent.status is IntentStatus.COMPLETED and intent.manual
