"""Partition tests: the daemon runs as a real process inside a network namespace the test made
(tests/servers/netns.py); the simulator (the DWS API), production's SQL endpoint and the DR
cluster's (real PostgreSQL servers) run outside it, on the namespace's service addresses. Routes in
the namespace cut what the watchdog can reach, with timeouts, as a real partition does.

One daemon lives through the phases in order (each phase asserts on the rounds it ran):
1. everything reachable: the data-plane probes are proven, production up;
2. production fails in the API and nothing at all is reachable from the namespace (the API, both
   SQL endpoints, the canary): every verdict unknown, `isolated` 1, no failover;
3. the API answers again but neither SQL endpoint does: unknown (a dead production and a blind
   watchdog look the same, matrix row 12), no failover;
4. only production's SQL endpoint is unreachable, the references answer: down (row 11), and exactly
   one failover.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.servers.fixtures import require_postgres
from tests.servers.netns import Namespace, require_netns
from tests.servers.postgres import PostgresServer, free_port
from watchdog.journal import Journal
from watchdog.model import Decision, Verdict
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
    make_test_simulator,
)
from watchdog.status import matrix_row

PAIR = TEST_PAIR_NAME
SIM, PROD_SQL, DR_SQL = 1, 11, 12  # service address numbers


class World:
    """The namespace, the services outside it, and the daemon inside it."""

    def __init__(self, ns: Namespace, sim: Simulator, server: SimulatorServer, prod: PostgresServer,
                 dr: PostgresServer, tmp: Path) -> None:  # fmt: skip
        self.ns, self.sim, self.server, self.prod, self.dr, self.tmp = ns, sim, server, prod, dr, tmp
        self.port = free_port()
        self.base = f"http://{ns.address}:{self.port}"
        self.log = tmp / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> Path:
        pair = self.sim.pair(TEST_DR_ID)
        addresses = {pair.primary_cluster_id: self.prod.address, pair.standby_cluster_id: self.dr.address}
        data = {
            "cloud": {
                "endpoint": self.server.url,
                "project_id": TEST_PROJECT_ID,
                "access_key": TEST_ACCESS_KEY,
                "secret_key": TEST_SECRET_KEY,
                "verify_tls": False,
                "timeout_seconds": 0.4,
            },
            "pairs": [
                {"name": PAIR, "disaster_recovery_id": TEST_DR_ID, "data_plane": {"addresses": addresses}}
            ],
            "evidence": {"deadline_seconds": 0.3, "canaries": [self.dr.address]},
            "policy": {"mode": "auto", "probe_interval_seconds": 1.0, "failure_threshold": 3,
                       "min_outage_seconds": 2.0, "max_down_gap_seconds": 30},
            "failover": {"poll_interval_seconds": 0.3, "settle_seconds": 5, "unknown_grace_seconds": 5},
            "state": {"path": str(self.tmp / "state" / "watchdog.db")},
            "http": {"listen": f"{self.ns.address}:{self.port}"},
        }  # fmt: skip
        path = self.tmp / "watchdog.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    def start(self) -> None:
        cmd = self.ns.command(sys.executable, "-m", "watchdog", "run", "--config", str(self.config()))
        with self.log.open("wb") as sink:
            self.proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=self.tmp)
        self.wait(lambda: self.get("/readyz") is not None, 30, "/readyz")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def get(self, path: str) -> str | None:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(self.base + path, timeout=2) as resp:
                return str(resp.read().decode()) if resp.status == 200 else None
        except OSError:
            return None

    def metric(self, name: str, **labels: str) -> float | None:
        text = self.get("/metrics") or ""
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == name and labels.items() <= s.labels.items():
                    return float(s.value)
        return None

    def wait(self, predicate: Any, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {what}\n{self.log.read_text()[-3000:]}"
                )
            time.sleep(0.2)

    def rounds(self) -> float:
        return self.metric("dr_watchdog_rounds_total") or 0.0

    def run_rounds(self, count: int) -> None:
        start = self.rounds()
        self.wait(lambda: self.rounds() >= start + count, count * 4, f"{count} rounds")

    def decisions(self) -> list[Decision]:
        """Every decision the daemon journaled, oldest first (the journal is a file outside the
        namespace: the filesystem is shared)."""
        with Journal(self.tmp / "state" / "watchdog.db") as journal:
            return [r.decision for r in journal.decisions(PAIR)]

    def status(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.get("/status") or "{}")
        return next(p for p in data["pairs"] if p["name"] == PAIR)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    require_netns()
    require_postgres()
    sim = make_test_simulator()
    with Namespace() as ns:
        for k in (SIM, PROD_SQL, DR_SQL):
            ns.add_service(k)
        with (
            SimulatorServer(sim, host=ns.service_address(SIM)) as server,
            PostgresServer(host=ns.service_address(PROD_SQL)) as prod,
            PostgresServer(host=ns.service_address(DR_SQL)) as dr,
        ):
            w = World(ns, sim, server, prod, dr, tmp_path)
            try:
                w.start()
                yield w
            finally:
                w.stop()


def test_partitions_from_inside_a_namespace(world: World) -> None:
    w = world
    # 1. everything reachable: proven, production up
    for side in ("production", "dr"):
        w.wait(
            lambda s=side: w.metric("dr_watchdog_data_plane_unproven", pair=PAIR, side=s) == 0,
            20,
            f"{side} proven",
        )
    w.wait(lambda: w.metric("dr_watchdog_production_up", pair=PAIR) == 1, 20, "production up")

    # 2. production fails in the API; the namespace reaches nothing: isolated, unknown, no failover
    w.sim.fail_cluster(w.sim.pair(TEST_DR_ID).primary_cluster_id)
    w.ns.partition(w.ns.service_net)
    w.wait(lambda: w.metric("dr_watchdog_isolated") == 1, 20, "isolated")
    w.run_rounds(6)
    assert w.metric("dr_watchdog_isolated") == 1
    assert w.status()["production"] == "unknown" and w.status()["matrix_row"] == 1
    assert w.metric("dr_watchdog_consecutive_down_rounds", pair=PAIR) == 0
    assert w.sim.failover_calls() == []

    # 3. the API answers, neither SQL endpoint does: a blind data network is no evidence (row 12)
    w.ns.heal()
    w.ns.partition(w.prod.host, w.dr.host)
    w.wait(lambda: w.status().get("matrix_row") == 12, 20, "matrix row 12")
    w.run_rounds(6)
    assert w.metric("dr_watchdog_isolated") == 0
    assert w.status()["production"] == "unknown" and w.status()["matrix_row"] == 12
    assert w.metric("dr_watchdog_consecutive_down_rounds", pair=PAIR) == 0
    assert w.sim.failover_calls() == []

    # 4. only production's SQL endpoint is unreachable, the references answer: down, one failover
    w.ns.heal()
    w.ns.partition(w.prod.host)
    w.wait(lambda: len(w.sim.failover_calls()) >= 1, 30, "the failover")
    w.run_rounds(6)
    assert len(w.sim.failover_calls()) == 1
    down = [d for d in w.decisions() if d.verdict is Verdict.DOWN]
    assert down and {matrix_row(d) for d in down} == {11}, "the failover rested on row-11 rounds"
