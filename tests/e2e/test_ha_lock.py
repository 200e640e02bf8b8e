"""`ha.backend: none`: a second daemon on the same journal is refused (two real processes)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, config_data, free_port, run_cli, running_daemon, write_config
from watchdog.simulator import SimulatorServer

pytestmark = pytest.mark.slow


def test_a_second_daemon_on_the_same_journal_exits_2_with_one_line(
    tmp_path: Path, sim_server: SimulatorServer
) -> None:
    """The first daemon runs on; the second (another HTTP port, the same journal) exits 2 with one line
    naming state.path and the first daemon's PID; after a kill -9 of the first, a daemon starts again."""
    journal = tmp_path / "state" / "watchdog.db"
    port, other = free_port(), free_port()
    first = write_config(tmp_path / "a.yaml", config_data(sim_server.url, journal, port))
    second = write_config(tmp_path / "b.yaml", config_data(sim_server.url, journal, other))
    with running_daemon(first, port, tmp_path, name="first") as daemon:
        result = run_cli("run", "--config", str(second), tmp=tmp_path, timeout=30)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"dr-watchdog: error: state.path: journal {journal} is in use by another dr-watchdog "
            f"(pid {daemon.proc.pid}); run one daemon per journal (an HA group gives each instance its own)\n"
        )
        assert daemon.proc.poll() is None and daemon.get("/readyz").status_code == 200
        daemon.terminate(signal.SIGKILL)
    again = Daemon(second, other, tmp_path, "again")
    try:
        again.wait_ready()
    finally:
        assert again.terminate() == 0
