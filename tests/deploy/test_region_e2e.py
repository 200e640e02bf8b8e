"""End to end across regions (issue 12): the daemon as a real process watching a cross-region pair
through two regional endpoints of one simulator (cn-north-4: production, cn-east-3: DR), with real
PostgreSQL servers as both SQL endpoints.

- a region outage of production's region (its API, its cluster and its SQL endpoint down) fails
  over exactly once, through the DR side's endpoint, within the confirmation window + 3 intervals;
- production's API endpoint down alone (cluster and SQL fine) never fails over;
- everything unreachable (both endpoints, both SQL endpoints) never fails over;
- a kill -9 in the middle of the cross-region failover and a restart still give one POST.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.daemon import daemon_config, running_daemon
from tests.deploy.servers import free_port, wait_until_ready
from tests.deploy.test_evidence_e2e import matrix_row, proven, watch
from tests.servers.fixtures import require_postgres
from tests.servers.postgres import PostgresServer
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    FAST_TIMING,
    OTHER_ACCESS_KEY,
    OTHER_PROJECT_ID,
    OTHER_SECRET_KEY,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    add_test_credentials,
)

PAIR = TEST_PAIR_NAME
NORTH, EAST = "cn-north-4", "cn-east-3"
INTERVAL, THRESHOLD, MIN_OUTAGE = 0.5, 2, 1.0
ROUNDS = 8


class Geo:
    """One world, two regional listeners, a cross-region pair and its two SQL endpoints."""

    def __init__(
        self, stack: ExitStack, production: PostgresServer, dr: PostgresServer, **timing: Any
    ) -> None:
        self.sim = Simulator(seed=12)
        add_test_credentials(self.sim)
        options = {**FAST_TIMING, "abnormal_delay_seconds": 0, **timing}
        self.pair = self.sim.add_pair(
            TEST_PROJECT_ID, PAIR, region=NORTH, dr_type="region", standby_project_id=OTHER_PROJECT_ID,
            standby_region=EAST, **options,
        )  # fmt: skip
        self.dr_id = self.pair.disaster_recovery_id
        self.north = stack.enter_context(SimulatorServer(self.sim, region=NORTH))
        self.east = stack.enter_context(SimulatorServer(self.sim, region=EAST))
        self.production, self.dr = production, dr

    def extra(self) -> dict[str, Any]:
        addresses = {self.pair.primary_cluster_id: self.production.address}
        addresses[self.pair.standby_cluster_id] = self.dr.address
        endpoint = {"region": EAST, "endpoint": self.east.url, "project_id": OTHER_PROJECT_ID}
        endpoint |= {"access_key": OTHER_ACCESS_KEY, "secret_key": OTHER_SECRET_KEY}
        pair: dict[str, Any] = {"name": PAIR, "disaster_recovery_id": self.dr_id, "dr": "east"}
        pair["data_plane"] = {"addresses": addresses}
        return {"endpoints": {"east": endpoint}, "pairs": [pair], "evidence": {"deadline_seconds": 0.3}}

    def posts(self) -> list[tuple[str | None, str | None, int]]:
        """Every failover POST the simulator saw: (region, project, status)."""
        return [(r.region, r.project_id, r.status) for r in self.sim.requests("switch_failover_disaster")]


@pytest.fixture
def servers() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    """Two real servers of this test's own (a test may stop either)."""
    require_postgres()
    with PostgresServer() as production, PostgresServer() as dr:
        yield production, dr


def policy() -> dict[str, Any]:
    return {"mode": "auto", "failure_threshold": THRESHOLD, "min_outage_seconds": MIN_OUTAGE}


def test_a_region_outage_fails_over_once_through_the_dr_side_in_time(
    tmp_path: Path, servers: tuple[PostgresServer, PostgresServer]
) -> None:
    """Production's region goes (API reset, cluster FAILED, SQL endpoint stopped): one failover POST,
    to the DR region's endpoint and project, within the confirmation window plus three intervals
    of the outage; never a second one."""
    with ExitStack() as stack:
        geo = Geo(stack, *servers)
        base = stack.enter_context(running_daemon(geo.north.url, tmp_path, geo.extra(), **policy()))
        proven(base)
        geo.production.stop()
        began = time.monotonic()
        geo.sim.region_outage(NORTH)
        window = max(THRESHOLD * INTERVAL, MIN_OUTAGE)
        end = began + window + 3 * INTERVAL + 10
        while not geo.sim.failover_calls():
            assert time.monotonic() < end, f"no failover; matrix row {matrix_row(base)}"
            time.sleep(0.05)
        took = time.monotonic() - began
        watch(base, ROUNDS)
        assert geo.posts() == [(EAST, OTHER_PROJECT_ID, 200)]
        assert took <= window + 3 * INTERVAL + 0.5, f"failover {took:.2f} s after the outage"


def test_production_api_down_alone_never_fails_over(
    tmp_path: Path, servers: tuple[PostgresServer, PostgresServer]
) -> None:
    """Only production's API endpoint unreachable (its cluster and SQL endpoint fine): production
    reads up by its SQL endpoint (matrix row 6), never a failover."""
    with ExitStack() as stack:
        geo = Geo(stack, *servers)
        base = stack.enter_context(running_daemon(geo.north.url, tmp_path, geo.extra(), **policy()))
        proven(base)
        geo.sim.inject(kind="reset", region=NORTH)
        watch(base, ROUNDS)
        assert matrix_row(base) == 6
        watch(base, ROUNDS)
    assert geo.posts() == []


def test_everything_unreachable_never_fails_over(
    tmp_path: Path, servers: tuple[PostgresServer, PostgresServer]
) -> None:
    """Both regions' endpoints and both SQL endpoints unreachable: isolated (row 1), no failover."""
    with ExitStack() as stack:
        geo = Geo(stack, *servers)
        base = stack.enter_context(running_daemon(geo.north.url, tmp_path, geo.extra(), **policy()))
        proven(base)
        geo.sim.region_outage(NORTH)
        geo.sim.inject(kind="reset", region=EAST)
        for server in servers:
            server.stop()
        watch(base, ROUNDS)
        assert matrix_row(base) == 1
        watch(base, ROUNDS)
    assert geo.posts() == []


def test_kill_9_mid_cross_region_failover_and_restart_still_one_post(
    tmp_path: Path, servers: tuple[PostgresServer, PostgresServer]
) -> None:
    """The failover switches for 4 s; the daemon is killed with SIGKILL right after its POST and
    started again on the same journal: it reconciles through the DR side and never posts again."""
    with ExitStack() as stack:
        geo = Geo(stack, *servers, failover_seconds=4)
        port = free_port()
        config = daemon_config(geo.north.url, tmp_path, port, geo.extra(), **policy())
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DRW_", "NOTIFY_SOCKET", "CREDENTIALS_"))
        }
        env |= {"HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "watchdog", "run", "--config", str(config)]
        base = f"http://127.0.0.1:{port}"

        def start(name: str) -> subprocess.Popen[bytes]:
            log = (tmp_path / f"{name}.log").open("wb")
            stack.callback(log.close)
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=env)
            stack.callback(_stop, proc)
            wait_until_ready(f"{base}/readyz", proc, tmp_path / f"{name}.log")
            return proc

        first = start("first")
        proven(base)
        geo.production.stop()
        geo.sim.region_outage(NORTH)
        end = time.monotonic() + 20
        while not geo.sim.failover_calls():
            assert time.monotonic() < end, "no failover"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert geo.sim.dr_detail(geo.dr_id)["status"] == "switchovering"
        start("second")
        end = time.monotonic() + 30
        while geo.sim.dr_detail(geo.dr_id)["primary_cluster"]["id"] != geo.pair.initial_standby_cluster_id:
            assert time.monotonic() < end, "the failover never completed"
            time.sleep(0.2)
        watch(base, ROUNDS)
        assert geo.posts() == [(EAST, OTHER_PROJECT_ID, 200)]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_a_dr_task_placed_elsewhere_than_its_endpoints_stops_the_daemon_at_start(
    tmp_path: Path, servers: tuple[PostgresServer, PostgresServer]
) -> None:
    """The pair's DR endpoint claims ap-southeast-1, the task says its standby is in cn-east-3: the
    daemon exits 2 at start-up with one line naming the pair and both placements."""
    with ExitStack() as stack:
        geo = Geo(stack, *servers)
        extra = geo.extra()
        extra["endpoints"]["east"]["region"] = "ap-southeast-1"
        config = daemon_config(geo.north.url, tmp_path, free_port(), extra, **policy())
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DRW_", "NOTIFY_SOCKET", "CREDENTIALS_"))
        }
        cmd = [sys.executable, "-m", "watchdog", "run", "--config", str(config)]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"dr-watchdog: config error: pairs[0] ({PAIR}): the DR task puts its clusters in")
    assert "cn-east-3" in line and "east (ap-southeast-1/" in line
