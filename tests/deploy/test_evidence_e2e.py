"""End to end with independent evidence: the daemon as a real process, the simulator as the control
plane, a real PostgreSQL server as production's SQL endpoint (the session's `postgres` server) and a
second one as the DR cluster's (the network reference), and a real Prometheus with alerts.yml.

- control plane FAILED and SQL down: exactly one failover (matrix row 11);
- control plane FAILED with SQL answering: never a failover; DrGrayFailure fires (row 2);
- SQL down with the control plane AVAILABLE: never a failover; a gray failure (row 4).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.daemon import PAIR, running_daemon, samples, scrape
from tests.deploy.servers import get_json, prometheus
from tests.deploy.test_prometheus_e2e import _fast_rules, _firing, _wait_firing
from tests.deploy.test_prometheus_held_e2e import wait_value
from tests.servers.fixtures import require_postgres
from tests.servers.postgres import PostgresServer
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID

ROUNDS = 8  # rounds watched after a fault that must not fail over (the window closes after 2)


@pytest.fixture(scope="module")
def dr_postgres() -> Iterator[PostgresServer]:
    """A second real server: the DR cluster's SQL endpoint, the network reference that answers."""
    require_postgres()
    with PostgresServer() as server:
        yield server


def evidence(sim: Simulator, production: PostgresServer, dr: PostgresServer) -> dict[str, Any]:
    """The test pair with a reachable-level data plane on both real servers."""
    pair = sim.pair(TEST_DR_ID)
    addresses = {pair.primary_cluster_id: production.address, pair.standby_cluster_id: dr.address}
    return {
        "pairs": [{"name": PAIR, "disaster_recovery_id": TEST_DR_ID, "data_plane": {"addresses": addresses}}],
        "evidence": {"deadline_seconds": 0.3},
    }


def proven(base: str) -> None:
    """Both data-plane probes have succeeded and production reads up: the evidence is live."""
    for side in ("production", "dr"):
        wait_value(base, "dr_watchdog_data_plane_unproven", 0, pair=PAIR, side=side)
    wait_value(base, "dr_watchdog_production_up", 1, pair=PAIR)


def rounds(base: str) -> float:
    return sum(v for n, _, v in samples(scrape(base)) if n == "dr_watchdog_rounds_total")


def watch(base: str, count: int) -> None:
    """Let `count` more rounds run."""
    start = rounds(base)
    end = time.monotonic() + count * 2
    while rounds(base) < start + count:
        assert time.monotonic() < end, f"fewer than {count} rounds in {count * 2} s"
        time.sleep(0.2)


def matrix_row(base: str) -> int | None:
    status = get_json(f"{base}/status")
    pair = next(p for p in status["pairs"] if p["name"] == PAIR)
    row: int | None = pair["matrix_row"]
    return row


def test_control_plane_failed_and_sql_down_fails_over_exactly_once(
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    postgres: PostgresServer,
    dr_postgres: PostgresServer,
) -> None:
    """Both say production is dead, the DR SQL endpoint answers: one failover POST, never a second."""
    extra = evidence(simulator, postgres, dr_postgres)
    with running_daemon(sim_server.url, tmp_path, extra, mode="auto") as base:
        proven(base)
        postgres.stop()
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        end = time.monotonic() + 30
        while not simulator.failover_calls():
            assert time.monotonic() < end, "no failover within 30 s"
            time.sleep(0.2)
        watch(base, ROUNDS)
        assert len(simulator.failover_calls()) == 1
        decided = [
            v
            for n, labels, v in samples(scrape(base))
            if n == "dr_watchdog_gray_failure" and labels["pair"] == PAIR
        ]
        assert decided == [0.0]


def test_control_plane_failed_with_sql_answering_never_fails_over_and_pages_gray_failure(
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    postgres_server: PostgresServer,
    dr_postgres: PostgresServer,
) -> None:
    """The API says FAILED, production's SQL endpoint answers: a gray failure (row 2), never a
    failover in auto mode; DrGrayFailure fires in Prometheus, DrFailoverWarranted does not."""
    extra = evidence(simulator, postgres_server, dr_postgres)
    with (
        running_daemon(sim_server.url, tmp_path, extra, mode="auto") as base,
        prometheus(tmp_path, base.removeprefix("http://"), _fast_rules(tmp_path)) as prom,
    ):
        proven(base)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        gray = _wait_firing(prom, {"DrGrayFailure"})["DrGrayFailure"]
        assert gray["labels"]["pair"] == PAIR and gray["labels"]["severity"] == "critical"
        watch(base, ROUNDS)
        assert matrix_row(base) == 2
        assert "DrFailoverWarranted" not in _firing(prom)
    assert simulator.failover_calls() == []


def test_sql_down_with_the_control_plane_available_never_fails_over(
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    postgres: PostgresServer,
    dr_postgres: PostgresServer,
) -> None:
    """Production's SQL endpoint stops answering while the API says AVAILABLE and the DR SQL endpoint
    answers: a gray failure (row 4), no failover, production not counted down."""
    extra = evidence(simulator, postgres, dr_postgres)
    with running_daemon(sim_server.url, tmp_path, extra, mode="auto") as base:
        proven(base)
        postgres.stop()
        wait_value(base, "dr_watchdog_gray_failure", 1, pair=PAIR)
        watch(base, ROUNDS)
        assert matrix_row(base) == 4
        down = [v for n, labels, v in samples(scrape(base)) if n == "dr_watchdog_consecutive_down_rounds"]
        assert down == [0.0]
    assert simulator.failover_calls() == []
