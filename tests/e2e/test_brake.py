"""The global brake against the real daemon and the simulator: a fleet-wide outage of 10 pairs with
`max_automatic_failovers: 3` fails over exactly 3 (the simulator's own POST record) and blocks 7 with
`global_brake` until `dr-watchdog brake reset`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, config_data, free_port, run_cli, running_daemon, wait_for, write_config
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.pair import SimPair
from watchdog.simulator.testing import FAST_TIMING, TEST_PROJECT_ID, add_test_credentials

pytestmark = pytest.mark.slow
PAIRS = 10
BLOCKED = "dr_watchdog_failover_blocked"


@pytest.fixture
def fleet() -> Iterator[tuple[Simulator, SimulatorServer, list[SimPair]]]:
    sim = Simulator(time_scale=1.0, seed=7)
    add_test_credentials(sim)
    pairs = [sim.add_pair(TEST_PROJECT_ID, f"dw-{i:02d}", **FAST_TIMING) for i in range(PAIRS)]
    with SimulatorServer(sim) as server:
        yield sim, server, pairs


def braked(daemon: Daemon, names: list[str]) -> list[str]:
    """The pairs blocked by the global brake, as /metrics says."""
    return [n for n in names if daemon.sample(BLOCKED, pair=n, reason="global_brake") == 1]


def test_a_fleet_wide_outage_fails_over_3_and_blocks_7_until_the_reset(
    tmp_path: Path, fleet: tuple[Simulator, SimulatorServer, list[SimPair]]
) -> None:
    """Every production fails in the same instant: the rounds decide the pairs in configuration order,
    so exactly the first 3 are failed over (3 POSTs), the other 7 are blocked with global_brake, the
    brake is engaged (dr_watchdog_brake_engaged 1) and nothing more is sent in later rounds. After
    `brake reset` the next 3 fail over and the brake engages again on the remaining 4."""
    sim, server, pairs = fleet
    port = free_port()
    data = config_data(server.url, tmp_path / "state" / "watchdog.db", port)
    data["pairs"] = [{"name": p.name, "disaster_recovery_id": p.disaster_recovery_id} for p in pairs]
    data["ha"] = {"max_automatic_failovers": 3, "brake_window_seconds": 3600}
    config = write_config(tmp_path / "watchdog.yaml", data)
    names = [p.name for p in pairs]
    with running_daemon(config, port, tmp_path) as daemon:
        wait_for(lambda: daemon.sample("dr_watchdog_production_up", pair=names[-1]) == 1, 15, "healthy fleet")
        for pair in pairs:
            sim.fail_cluster(pair.primary_cluster_id)
        wait_for(lambda: len(braked(daemon, names)) == 7, 30, "7 pairs blocked by the brake")
        time.sleep(3.0)  # six more rounds: nothing more is sent
        assert sorted({c.disaster_recovery_id for c in sim.failover_calls()}) == sorted(
            p.disaster_recovery_id for p in pairs[:3]
        )
        assert len(sim.failover_calls()) == 3
        assert braked(daemon, names) == names[3:]
        assert daemon.sample("dr_watchdog_brake_engaged") == 1
        assert daemon.sample("dr_watchdog_brake_failovers") == 3
        status = run_cli("brake", "status", "--config", str(config), tmp=tmp_path)
        assert status.returncode == 0 and "ENGAGED" in status.stdout, status.stdout + status.stderr
        reset = run_cli("brake", "reset", "--config", str(config), "--reason", "game day", tmp=tmp_path)
        assert reset.returncode == 0, reset.stderr
        assert "re-enabled" in reset.stdout
        wait_for(
            lambda: len(sim.failover_calls()) == 6 and len(braked(daemon, names)) == 4,
            30,
            "3 more after reset",
        )
        time.sleep(2.0)
        assert len(sim.failover_calls()) == 6 and braked(daemon, names) == names[6:]
        assert daemon.terminate() == 0
    assert sorted({c.disaster_recovery_id for c in sim.failover_calls()}) == sorted(
        p.disaster_recovery_id for p in pairs[:6]
    )
