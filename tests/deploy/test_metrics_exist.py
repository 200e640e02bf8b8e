"""Every metric the alert rules and the dashboard name exists in the real daemon's /metrics output."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.daemon import exported_names, running_daemon, samples, scrape, wait_for_sample
from tests.deploy.dashboard import load, queries, substitute
from tests.deploy.rules import alert_rules, metric_names
from tests.deploy.tools import tool
from watchdog.metrics import DECISION_STATES
from watchdog.model import State
from watchdog.simulator import SimulatorServer

# Series Prometheus makes itself, not the daemon.
SYNTHETIC = {"up"}


@pytest.fixture(scope="module")
def metrics_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/metrics of the real daemon after its first probe rounds against the simulator."""
    from watchdog.simulator.testing import make_test_simulator

    tmp = tmp_path_factory.mktemp("daemon")
    with SimulatorServer(make_test_simulator()) as server, running_daemon(server.url, tmp) as base:
        wait_for_sample(base, "dr_watchdog_rounds_total")
        wait_for_sample(base, "dr_watchdog_api_requests_total")
        yield scrape(base)


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
    assert sure | {"dr_watchdog_probe_duration_seconds_bucket", "dr_watchdog_sync_lag_seconds"} <= set(
        referenced
    )
    missing = {name: sorted(where) for name, where in referenced.items() if name not in exported | SYNTHETIC}
    assert missing == {}


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


def test_a_healthy_pair_costs_at_most_20_samples(metrics_text: str) -> None:
    """The real daemon's /metrics at steady state: at most 20 samples per pair (issue 14's budget;
    tests/unit/test_metrics_cardinality.py pins the exact count)."""
    per_pair: dict[str, int] = {}
    for _, labels, _ in samples(metrics_text):
        if "pair" in labels:
            per_pair[labels["pair"]] = per_pair.get(labels["pair"], 0) + 1
    assert per_pair and max(per_pair.values()) <= 20, per_pair


def test_exposition_passes_promtool(metrics_text: str, tmp_path: Path) -> None:
    """The exposition the rules run against is clean for promtool check metrics."""
    proc = subprocess.run(
        [tool("promtool"), "check", "metrics"], input=metrics_text, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
