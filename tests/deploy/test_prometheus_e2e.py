"""End to end: a real Prometheus scrapes the running daemon watching the simulator; production
goes down and the alerts show in Prometheus's /api/v1/alerts, and reach a real Alertmanager.

The rules are alerts.yml with every `for:` shortened to 1s (the durations themselves are pinned
by the promtool unit tests); expressions, labels and annotation templates are the real ones.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.deploy.daemon import PAIR, running_daemon, wait_for_sample
from tests.deploy.rules import ALERTS
from tests.deploy.servers import alertmanager, get_json, prometheus
from tests.unit.notify.receiver import Receiver
from watchdog.simulator import FaultKind, Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID


def _fast_rules(tmp: Path) -> Path:
    path = tmp / "alerts-fast.yml"
    path.write_text(re.sub(r"(?m)^(\s+for:) \S+$", r"\1 1s", ALERTS.read_text()))
    return path


def _firing(prom: str) -> dict[str, dict[str, Any]]:
    alerts = get_json(f"{prom}/api/v1/alerts")["data"]["alerts"]
    return {a["labels"]["alertname"]: a for a in alerts if a["state"] == "firing"}


def _wait_firing(prom: str, names: set[str], timeout: float = 30) -> dict[str, dict[str, Any]]:
    end = time.monotonic() + timeout
    firing: dict[str, dict[str, Any]] = {}
    while time.monotonic() < end:
        firing = _firing(prom)
        if names <= set(firing):
            return firing
        time.sleep(0.5)
    raise AssertionError(f"alerts {sorted(names - set(firing))} not firing; firing: {sorted(firing)}")


def test_production_outage_alerts_in_prometheus(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """Healthy: no pair alert fires; production fails: DrProductionDown and DrFailoverWarranted fire in
    Prometheus, and Alertmanager gets both the rule's alert and the decision the daemon pushes itself."""
    with (
        Receiver() as pager,
        alertmanager(tmp_path, pager.url + "/page") as am,
        running_daemon(sim_server.url, tmp_path, {"notifications": {"alertmanager": {"url": am}}}) as daemon,
        prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path), am) as prom,
    ):
        wait_for_sample(daemon, "dr_watchdog_production_up", pair=PAIR)
        time.sleep(4)  # a few scrapes and rule evaluations of a healthy pair
        quiet = _firing(prom)
        assert not {"DrProductionDown", "DrFailoverWarranted", "DrWatchdogDown", "DrWatchdogBlind"} & set(
            quiet
        )
        _wait_firing(prom, {"DrWatchdogHeartbeat"})  # the dead man's switch fires while all is well
        assert [
            a for a in get_json(f"{am}/api/v2/alerts") if a["labels"]["alertname"] == "DrWatchdogDecision"
        ] == []

        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        firing = _wait_firing(prom, {"DrProductionDown", "DrFailoverWarranted"})
        down = firing["DrProductionDown"]
        assert down["labels"]["pair"] == PAIR and down["labels"]["severity"] == "critical"
        rounds = re.search(
            r"\((\d+) consecutive down rounds; expected data loss (\d+) s\)",
            down["annotations"]["description"],
        )
        assert rounds is not None and int(rounds.group(1)) >= 2, down["annotations"]["description"]
        warranted = firing["DrFailoverWarranted"]
        assert f"dr-watchdog failover --config FILE --pair {PAIR}" in warranted["annotations"]["description"]

        am_alerts = _wait_am(am, "DrFailoverWarranted")
        assert am_alerts["labels"]["pair"] == PAIR
        pushed = _wait_am(am, "DrWatchdogDecision")  # POSTed by the daemon's notifier, not by Prometheus
        assert (pushed["labels"]["pair"], pushed["labels"]["state"]) == (PAIR, "failover_warranted")
        assert "expected data loss" in pushed["annotations"]["description"]
    assert simulator.failover_calls() == []  # recommend mode pages a human, never calls the API


def test_stale_sync_blocks_with_the_reason(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A stale DR sync then an outage: DrFailoverBlocked fires naming data_loss_exceeded and its numbers."""
    with (
        running_daemon(sim_server.url, tmp_path, max_data_loss_seconds=2) as daemon,
        prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path)) as prom,
    ):
        wait_for_sample(daemon, "dr_watchdog_production_up", pair=PAIR)
        simulator.stall_sync(TEST_DR_ID)
        time.sleep(5)  # the last successful sync grows older than the 2 s limit
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        blocked = _wait_firing(prom, {"DrFailoverBlocked"})["DrFailoverBlocked"]
        assert blocked["labels"]["reason"] == "data_loss_exceeded"
        loss = re.search(r"expected data loss (\d+) s", blocked["annotations"]["description"])
        assert loss is not None and int(loss.group(1)) > 2
        assert "DrFailoverWarranted" not in _firing(prom)
    assert simulator.failover_calls() == []


def test_api_answering_503_makes_the_watchdog_blind_not_down(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """The API answering 503: DrWatchdogBlind and DrWatchdogApiErrors fire, DrProductionDown does not."""
    with (
        running_daemon(sim_server.url, tmp_path, mode="auto") as daemon,
        prometheus(tmp_path, daemon.removeprefix("http://"), _fast_rules(tmp_path)) as prom,
    ):
        wait_for_sample(daemon, "dr_watchdog_production_up", pair=PAIR)
        simulator.unreachable(kind=FaultKind.ERROR)
        firing = _wait_firing(prom, {"DrWatchdogBlind", "DrWatchdogApiErrors"})
        assert firing["DrWatchdogBlind"]["labels"]["pair"] == PAIR
        assert "DrProductionDown" not in firing
    assert simulator.failover_calls() == []


def _wait_am(am: str, name: str, timeout: float = 20) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for alert in get_json(f"{am}/api/v2/alerts"):
            if alert["labels"].get("alertname") == name:
                return dict(alert)
        time.sleep(0.5)
    raise AssertionError(f"{name} never reached Alertmanager")
