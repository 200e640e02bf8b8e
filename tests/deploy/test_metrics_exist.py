"""Every metric the alert rules and the dashboard name exists in the real daemon's /metrics output."""

from __future__ import annotations

import math
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.daemon import PAIR, exported_names, running_daemon, samples, scrape, wait_for_sample
from tests.deploy.dashboard import load, queries, substitute
from tests.deploy.rules import alert_rules, metric_names
from tests.deploy.tools import tool
from watchdog.metrics import DECISION_STATES
from watchdog.model import State
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID

EVIDENCE = (
    "dr_watchdog_gray_failure",
    "dr_watchdog_isolated",
    "dr_watchdog_data_plane_unproven",
    "dr_watchdog_heartbeat_lag_seconds",
    "dr_watchdog_round_late_seconds",
)
# Series Prometheus makes itself, not the daemon.
SYNTHETIC = {"up"}


@pytest.fixture(scope="module")
def metrics_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/metrics of the real daemon after its first probe rounds against the simulator."""
    from watchdog.simulator.testing import make_test_simulator

    tmp = tmp_path_factory.mktemp("daemon")
    sim = make_test_simulator()
    with SimulatorServer(sim) as server, running_daemon(server.url, tmp, evidence_config(sim, tmp)) as base:
        wait_for_sample(base, "dr_watchdog_rounds_total")
        wait_for_sample(base, "dr_watchdog_api_requests_total")
        yield scrape(base)


def evidence_config(sim: Simulator, tmp: Path) -> dict[str, Any]:
    """The test pair with a data plane (query level and a heartbeat) and a canary, all at a closed
    port: the evidence series exist (never proven, heartbeat not measured) and cost no time."""
    pair = sim.pair(TEST_DR_ID)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{s.getsockname()[1]}"
    secret = tmp / "dp_password"
    secret.write_text("metrics-test-password\n")
    data_plane = {
        "level": "query",
        "addresses": {pair.primary_cluster_id: closed, pair.standby_cluster_id: closed},
        "password_file": str(secret),
        "heartbeat_table": "drw.heartbeat",
    }
    return {
        "pairs": [{"name": PAIR, "disaster_recovery_id": TEST_DR_ID, "data_plane": data_plane}],
        "evidence": {"deadline_seconds": 0.2, "canaries": [closed]},
    }


def _referenced() -> dict[str, set[str]]:
    """Metric name -> where it is used (alert names and dashboard panels)."""
    used: dict[str, set[str]] = {}
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            used.setdefault(name, set()).add(f"alert {rule['alert']}")
    for where, expr in queries(load()):
        for name in metric_names(substitute(expr)):
            used.setdefault(name, set()).add(where)
    return used


def test_every_referenced_metric_is_exported(metrics_text: str) -> None:
    """No alert or panel queries a metric the daemon does not export (a typo would never fire)."""
    exported = exported_names(metrics_text)
    referenced = _referenced()
    sure = {"dr_watchdog_production_up", "dr_watchdog_round_overruns_total", "dr_watchdog_failovers_total"}
    sure |= set(EVIDENCE)
    assert sure | {"dr_watchdog_probe_duration_seconds_bucket", "dr_watchdog_sync_lag_seconds"} <= set(
        referenced
    )
    missing = {name: sorted(where) for name, where in referenced.items() if name not in exported | SYNTHETIC}
    assert missing == {}


def test_evidence_series_are_exported_with_their_values(metrics_text: str) -> None:
    """The daemon exports the evidence gauges: the closed-port probes never succeeded (1 per side),
    no gray failure, the heartbeat lag not measured (NaN), and probe latency per probe kind only."""
    values = {(n, tuple(sorted(labels.items()))): v for n, labels, v in samples(metrics_text)}
    for side in ("production", "dr"):
        assert values[("dr_watchdog_data_plane_unproven", (("pair", PAIR), ("side", side)))] == 1.0
    assert values[("dr_watchdog_gray_failure", (("pair", PAIR),))] == 0.0
    lag = values[("dr_watchdog_heartbeat_lag_seconds", (("pair", PAIR),))]
    assert math.isnan(lag)
    assert ("dr_watchdog_isolated", ()) in values and ("dr_watchdog_round_late_seconds", ()) in values
    counts = [dict(labels) for n, labels in values if n == "dr_watchdog_probe_duration_seconds_count"]
    assert all("pair" not in labels for labels in counts)  # one histogram per probe kind, none per pair
    assert {"production_cluster", "dr_task", "dr_cluster", "data_plane"} <= {c["probe"] for c in counts}


def test_label_values_in_rules_exist(metrics_text: str) -> None:
    """Exact label values the rules match on (decision, result, probe) are ones the daemon exports;
    a decision state is exported only while it is current, so those are checked against the state set
    the daemon declares (and that set against the policy's states)."""
    exported = {(k, v) for _, labels, _ in samples(metrics_text) for k, v in labels.items()}
    exported |= {("decision", s) for s in DECISION_STATES}
    assert set(DECISION_STATES) == {s.value for s in State}
    exprs = [r["expr"] for r in alert_rules()] + [e for _, e in queries(load())]
    wanted = {(k, v) for e in exprs for k, v in re.findall(r'\b(decision|result|probe)="([^"]+)"', e)}
    assert wanted, "the rules match on decision and result values"
    assert wanted - exported == set()


def test_a_healthy_pair_costs_at_most_20_samples_plus_its_evidence(metrics_text: str) -> None:
    """The real daemon's /metrics at steady state: at most 20 samples per pair (issue 14's budget;
    tests/unit/test_metrics_cardinality.py pins the exact count), plus what the pair's evidence adds
    here (every kind configured): probe_success for data_plane, dr_data_plane, heartbeat and canary,
    data_plane_unproven per side, heartbeat_lag_seconds: 7."""
    per_pair: dict[str, list[str]] = {}
    for name, labels, _ in samples(metrics_text):
        if "pair" in labels:
            per_pair.setdefault(labels["pair"], []).append(name)
    names = per_pair[PAIR]
    assert len(names) <= 20 + 7, sorted(names)
    assert (
        names.count("dr_watchdog_probe_success") == 3 + 4
        and names.count("dr_watchdog_data_plane_unproven") == 2
    )


def test_exposition_passes_promtool(metrics_text: str, tmp_path: Path) -> None:
    """The exposition the rules run against is clean for promtool check metrics."""
    proc = subprocess.run(
        [tool("promtool"), "check", "metrics"], input=metrics_text, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
