"""Evidence in the record: every signal (source, verdict, detail, latency) is journaled and shown by
`dr-watchdog status` (text and --json) and `dr-watchdog probe`, with the signal-matrix row that decided.

The control plane is the simulator over real HTTP, the SQL endpoints a real PostgreSQL server.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers.postgres import PostgresServer
from watchdog.cli import main
from watchdog.journal import Journal, RoundRecord
from watchdog.model import Observation, PairState, Policy, Reason, Signal, SignalSource, Verdict
from watchdog.policy import evaluate
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
)

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def write_config(tmp: Path, url: str, simulator: Simulator, address: str) -> Path:
    pair = simulator.pair(TEST_DR_ID)
    data: dict[str, Any] = {
        "cloud": {
            "endpoint": url, "project_id": TEST_PROJECT_ID, "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY, "timeout_seconds": 2,
        },
        "pairs": [{
            "name": TEST_PAIR_NAME, "disaster_recovery_id": TEST_DR_ID,
            "data_plane": {"addresses": {pair.primary_cluster_id: address, pair.standby_cluster_id: address}},
        }],
        "policy": {"mode": "observe", "probe_interval_seconds": 5},
        "evidence": {"deadline_seconds": 1},
        "state": {"path": str(tmp / "state" / "watchdog.db")},
    }  # fmt: skip
    path = tmp / "watchdog.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def record(path: Path, obs: Observation, matrix_row: float | None) -> None:
    """One decided round in the journal at `path`; its verdict reason carries `matrix_row` if given."""
    policy = Policy()
    decision = evaluate(obs, PairState(), policy, NOW).decision
    first = decision.reasons[0]
    values = {k: v for k, v in first.values.items() if k != "matrix_row"}  # None: a journal from before
    values |= {} if matrix_row is None else {"matrix_row": matrix_row}
    decision = replace(decision, reasons=(Reason(first.code, first.message, values), *decision.reasons[1:]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with Journal(path) as journal:
        journal.record_many([RoundRecord(obs, decision, PairState())])


def observation() -> Observation:
    signals = (
        Signal(SignalSource.PRODUCTION_CLUSTER, Verdict.UP, "production cluster c1 AVAILABLE", NOW,
               latency_seconds=0.012),
        Signal(SignalSource.DATA_PLANE, Verdict.UP, "127.0.0.1:5432: a coordinator answered", NOW,
               latency_seconds=0.004),
        Signal(SignalSource.DR_DATA_PLANE, Verdict.DOWN, "127.0.0.1:5433: connection refused", NOW,
               latency_seconds=0.001),
        Signal(SignalSource.DR_TASK, Verdict.UNKNOWN, "DR task running: no evidence against production", NOW,
               latency_seconds=0.01),
    )  # fmt: skip
    return Observation(TEST_PAIR_NAME, TEST_DR_ID, NOW, signals)


@pytest.fixture
def config(tmp_path: Path, sim_server: SimulatorServer, simulator: Simulator) -> Path:
    return write_config(tmp_path, sim_server.url, simulator, "127.0.0.1:9")


@pytest.mark.parametrize("row", [5, None])
def test_status_shows_every_signal_and_the_deciding_row(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], row: int | None
) -> None:
    """status lists each journaled signal with verdict, latency and detail, then the matrix row that
    decided; a journal from before the matrix (no matrix_row) prints no row line."""
    record(tmp_path / "state" / "watchdog.db", observation(), row)
    assert main(["status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "  signals:" in out
    assert "data_plane         up           4 ms  127.0.0.1:5432: a coordinator answered" in out
    assert "dr_data_plane      down         1 ms  127.0.0.1:5433: connection refused" in out
    line = "decided by signal matrix row 5 (docs/decisions.md)"
    assert (line in out) is (row is not None)
    assert main(["status", "--config", str(config), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)["pairs"][0]
    assert entry["matrix_row"] == row
    by_source = {s["source"]: s for s in entry["signals"]}
    assert by_source["data_plane"]["latency_seconds"] == 0.004
    assert by_source["dr_data_plane"] == {
        "source": "dr_data_plane", "verdict": "down", "latency_seconds": 0.001,
        "detail": "127.0.0.1:5433: connection refused", "error": None,
    }  # fmt: skip


def test_the_journal_keeps_each_signal_with_its_latency(tmp_path: Path) -> None:
    """The observation's signals round-trip through the journal with their latency."""
    path = tmp_path / "state" / "watchdog.db"
    obs = observation()
    record(path, obs, 4)
    with Journal(path) as journal:
        stored = journal.decisions(TEST_PAIR_NAME, limit=1)[0].observation
    assert stored is not None and stored.signals == obs.signals


def test_probe_prints_the_data_plane_signals(
    tmp_path: Path,
    sim_server: SimulatorServer,
    simulator: Simulator,
    postgres_server: PostgresServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`dr-watchdog probe` probes the SQL endpoints too and prints every signal with its latency."""
    config = write_config(tmp_path, sim_server.url, simulator, postgres_server.address)
    assert main(["probe", "--config", str(config), "--pair", TEST_PAIR_NAME]) == 0
    out = capsys.readouterr().out
    assert "  signals:" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("    ")}
    for source in ("production_cluster", "dr_task", "dr_cluster", "data_plane", "dr_data_plane"):
        assert source in lines, out
    assert " up " in lines["data_plane"] and " ms " in lines["data_plane"]
    assert main(["probe", "--config", str(config), "--pair", TEST_PAIR_NAME, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sources = {s["source"]: s for s in doc[0]["observation"]["signals"]}
    assert sources["data_plane"]["verdict"] == "up" and sources["data_plane"]["latency_seconds"] > 0
