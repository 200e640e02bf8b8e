"""The incident report of a real outage: the daemon fails over against the simulator, `dr-watchdog
report` writes the page from the journal, and Debian's headless Chromium renders it. The assertions
are on the rendered DOM (laid-out charts, the decision list), and the screenshot is kept under the
test's temporary directory (pytest keeps the latest runs' directories: CI's artifact)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import config_data, free_port, run_cli, running_daemon, wait_for, write_config
from tests.servers.chromium import Chromium
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow
PAIR = {"pair": TEST_PAIR_NAME}

DOM_FACTS = """JSON.stringify({
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({
    kind: s.dataset.chart,
    width: s.getBoundingClientRect().width,
    height: s.getBoundingClientRect().height})),
  downSpans: document.querySelectorAll('svg[data-chart=production] rect.span.down').length,
  upSpans: document.querySelectorAll('svg[data-chart=production] rect.span.up').length,
  lossPoints: (document.querySelector('polyline.expected-data-loss')?.points.numberOfItems) || 0,
  rpoLine: !!document.querySelector('line.rpo-limit'),
  decisions: [...document.querySelectorAll('#decisions li.decision')].map(li => li.dataset.action),
  steps: [...document.querySelectorAll('#failover-steps tbody tr')].map(tr => tr.cells[1].innerText),
  hooks: document.querySelectorAll('#hook-runs tbody tr').length,
  operators: [...document.querySelectorAll('#operator-actions tbody tr')].map(tr => tr.cells[1].innerText),
  scripts: document.scripts.length,
  external: [...document.querySelectorAll('[src],link[href]')].length,
  title: document.title,
})"""


def _outage(tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer) -> Path:
    """An outage the daemon fails over, with a hook, a pause and an ack in the journal; the config."""
    port = free_port()
    data: dict[str, Any] = config_data(sim_server.url, tmp_path / "state" / "watchdog.db", port)
    data["policy"].update(probe_interval_seconds=0.5, failure_threshold=3, min_outage_seconds=1.0)
    data["hooks"] = {"pre_failover": {"command": ["true"], "timeout_seconds": 5}}
    config = write_config(tmp_path / "watchdog.yaml", data)
    with running_daemon(config, port, tmp_path) as daemon:
        assert (
            run_cli(
                "pause",
                "--config",
                str(config),
                "--pair",
                TEST_PAIR_NAME,
                "--reason",
                "patching <b>",
                tmp=tmp_path,
            ).returncode
            == 0
        )
        assert (
            run_cli("resume", "--config", str(config), "--pair", TEST_PAIR_NAME, tmp=tmp_path).returncode == 0
        )
        time.sleep(1.5)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        wait_for(
            lambda: daemon.sample("dr_watchdog_failovers_total", result="completed", **PAIR) == 1,
            60,
            "the failover",
        )
        time.sleep(1.0)
        assert daemon.terminate() == 0
    assert (
        run_cli(
            "ack", "--config", str(config), "--pair", TEST_PAIR_NAME, "--reason", "reviewed", tmp=tmp_path
        ).returncode
        == 0
    )
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    return config


def test_report_of_an_outage_renders_in_chromium(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    config = _outage(tmp_path, simulator, sim_server)
    page, twin = tmp_path / "report.html", tmp_path / "report.json"
    done = run_cli(
        "report", "--config", str(config), "--pair", TEST_PAIR_NAME, "--out", str(page), tmp=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "1 failover(s)" in done.stderr
    done = run_cli(
        "report",
        "--config",
        str(config),
        "--pair",
        TEST_PAIR_NAME,
        "--json",
        "--out",
        str(twin),
        tmp=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(twin.read_text())
    assert doc["summary"]["failovers"] == 1 and doc["summary"]["down_rounds"] >= 3
    window = doc["summary"]["unsynced_window"]
    assert window["end"] == doc["failovers"][0]["first_down_at"] and window["seconds"] > 0

    browser = Chromium(tmp_path, page.as_uri())
    try:
        browser.wait_loaded()
        facts = json.loads(browser.evaluate(DOM_FACTS))
        shot = browser.screenshot(tmp_path / "report.png")
    finally:
        browser.stop()
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {c["kind"] for c in facts["charts"]} == {"production", "data-loss"}
    assert all(c["width"] > 500 and c["height"] > 50 for c in facts["charts"]), facts["charts"]
    assert facts["downSpans"] >= 1 and facts["upSpans"] >= 1
    assert facts["lossPoints"] >= 1 and facts["rpoLine"]
    assert facts["decisions"].count("failover") == 1
    assert {"intended", "sent", "submitted", "completed"} <= set(facts["steps"])
    assert facts["hooks"] == 1
    assert facts["operators"] == ["pause", "resume", "ack"]
    assert facts["scripts"] == 0 and facts["external"] == 0  # self-contained
    assert facts["title"] == f"Incident report: {TEST_PAIR_NAME}"


def test_report_refuses_bad_input_in_one_line(tmp_path: Path, sim_server: SimulatorServer) -> None:
    config = write_config(
        tmp_path / "watchdog.yaml",
        config_data(sim_server.url, tmp_path / "state" / "watchdog.db", free_port()),
    )
    out = str(tmp_path / "r.html")
    cases = [
        (["--pair", "nope"], "nope"),
        (["--pair", TEST_PAIR_NAME], "no journal"),
        (
            ["--pair", TEST_PAIR_NAME, "--since", "2026-12-02T00:00:00Z", "--until", "2026-12-01T00:00:00Z"],
            "after --until",
        ),
    ]
    for extra, words in cases:
        done = run_cli("report", "--config", str(config), *extra, "--out", out, tmp=tmp_path)
        assert done.returncode == 2, (extra, done.stderr)
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not Path(out).exists()
