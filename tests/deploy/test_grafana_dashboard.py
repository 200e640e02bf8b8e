"""The Grafana dashboard, checked offline: JSON, grid layout, and every query through promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.deploy.dashboard import load, panels, queries, substitute
from tests.deploy.tools import tool

GRID = 24


def test_grid_has_no_overflow_or_overlap() -> None:
    """Every panel fits the 24-column grid and no two panels share a cell."""
    taken: dict[tuple[int, int], str] = {}
    for panel in panels(load()):
        pos = panel["gridPos"]
        assert pos["w"] > 0 and pos["h"] > 0 and pos["x"] >= 0 and pos["y"] >= 0, panel["title"]
        assert pos["x"] + pos["w"] <= GRID, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in taken, f"{panel['title']!r} overlaps {taken.get((x, y))!r}"
                taken[(x, y)] = panel["title"]


def test_panel_ids_are_unique() -> None:
    """Panel ids are unique (Grafana links and repeats rely on them)."""
    ids = [p["id"] for p in panels(load())]
    assert len(ids) == len(set(ids))


def test_pair_variable_and_annotations() -> None:
    """A multi-value `pair` variable exists, and decisions and failovers are drawn as annotations."""
    dash = load()
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["pair"]["multi"] is True
    assert "dr_watchdog_" in variables["pair"]["definition"]
    names = {a["name"] for a in dash["annotations"]["list"]}
    assert {"Decisions", "Failovers"} <= names


def test_required_views_are_present() -> None:
    """Status, sync lag and expected data loss against the RPO limit, probe latency and API errors by code."""
    exprs = " ".join(expr for _, expr in queries(load()))
    for needle in (
        "dr_watchdog_production_up",
        "dr_watchdog_decision",
        "dr_watchdog_sync_lag_seconds",
        "dr_watchdog_expected_data_loss_seconds",
        "dr_watchdog_max_data_loss_seconds",
        "dr_watchdog_probe_duration_seconds_bucket",
        "sum by (code)",
    ):
        assert needle in exprs, needle


def test_every_query_parses_in_promtool(tmp_path: Path) -> None:
    """Each panel and annotation query, variables substituted, is a valid PromQL rule expression."""
    found = queries(load())
    rules = [
        {"record": f"dashboard:query_{i}", "expr": substitute(expr)} for i, (_, expr) in enumerate(found)
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    proc = subprocess.run(
        [tool("promtool"), "check", "rules", "--lint-fatal", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(found)} rules found" in proc.stdout


def test_promtool_rejects_a_broken_query(tmp_path: Path) -> None:
    """The parse check is real: a malformed expression makes promtool fail."""
    path = tmp_path / "broken.yml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "d", "rules": [{"record": "r:x", "expr": "sum by (("}]}]})
    )
    proc = subprocess.run(
        [tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0


def test_the_reasons_for_not_failing_over_and_the_modes_are_shown() -> None:
    """A panel queries failover_blocked and names every reason besides the guards (holds and modes) in
    its description; another shows each pair's mode (observe pages nothing, so it must be visible)."""
    from watchdog.metrics import HOLD_REASONS

    shown = [
        p
        for p in panels(load())
        if any("dr_watchdog_failover_blocked" in t["expr"] for t in p.get("targets", []))
    ]
    assert shown
    for panel in shown:
        assert all(reason in panel["description"] for reason in HOLD_REASONS), panel["title"]
    assert "dr_watchdog_mode" in " ".join(expr for _, expr in queries(load()))
