"""End to end with a real Prometheus: a held pair whose production is confirmed down pages, an
observe-mode pair records without paging (alerts.yml with `for:` shortened, as in test_prometheus_e2e)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from tests.deploy.daemon import PAIR, running_daemon, samples, scrape, wait_for_sample
from tests.deploy.servers import prometheus
from tests.deploy.test_prometheus_e2e import _fast_rules, _firing, _wait_firing
from watchdog.journal import Journal
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID


def wait_value(base: str, name: str, want: float, timeout: float = 20, **labels: str) -> None:
    """Poll the daemon's /metrics until the sample has the value `want`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(
            n == name and labels.items() <= got.items() and v == want for n, got, v in samples(scrape(base))
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"{name}{labels} never {want} within {timeout} s")


def test_a_paused_pair_with_production_down_pages_blocked_paused(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """auto mode, paused beside the running daemon, production fails: DrFailoverBlocked fires with
    reason paused, nothing is failed over, DrFailoverWarranted stays quiet."""
    with (
        running_daemon(sim_server.url, tmp_path, mode="auto") as daemon,
        prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path)) as prom,
    ):
        with Journal(tmp_path / "state" / "watchdog.db") as journal:
            journal.pause(PAIR, "maintenance", "ops", datetime.now(UTC))
        wait_value(daemon, "dr_watchdog_paused", 1, pair=PAIR)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        blocked = _wait_firing(prom, {"DrFailoverBlocked"})["DrFailoverBlocked"]
        assert (blocked["labels"]["pair"], blocked["labels"]["reason"]) == (PAIR, "paused")
        assert blocked["labels"]["severity"] == "critical"
        assert "DrFailoverWarranted" not in _firing(prom)
    assert simulator.failover_calls() == []


def test_an_observe_mode_pair_records_the_warranted_failover_without_paging(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """observe mode, production fails: the daemon's metrics say failover_warranted and mode observe,
    DrProductionDown fires, DrFailoverWarranted and DrFailoverBlocked do not."""
    with (
        running_daemon(sim_server.url, tmp_path, mode="observe") as daemon,
        prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path)) as prom,
    ):
        wait_for_sample(daemon, "dr_watchdog_production_up", pair=PAIR)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        _wait_firing(prom, {"DrProductionDown"})
        wait_value(daemon, "dr_watchdog_decision", 1, pair=PAIR, decision="failover_warranted")
        time.sleep(4)  # several scrapes and rule evaluations of the warranted decision
        firing = _firing(prom)
        exported = {(n, tuple(sorted(labels.items())), v) for n, labels, v in samples(scrape(daemon))}
    assert "DrFailoverWarranted" not in firing and "DrFailoverBlocked" not in firing
    assert ("dr_watchdog_mode", (("mode", "observe"), ("pair", PAIR)), 1.0) in exported
    assert simulator.failover_calls() == []
