"""config/watchdog.example.yaml, copied as the README says, works against `dr-watchdog simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from watchdog.cli import EXIT_OK, main
from watchdog.simulator import SimulatorServer
from watchdog.simulator.scenario import build_simulator, load_scenario

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config" / "watchdog.example.yaml"
DEFAULT_WORLD = ROOT / "watchdog" / "simulator" / "scenarios" / "default.yaml"


def test_every_example_pair_is_served_by_the_default_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example config, pointed at the simulator's default world (only the endpoint and the
    simulator's keys changed, by environment), probes every pair: none answers DWS.10101."""
    world = yaml.safe_load(DEFAULT_WORLD.read_text())
    key = world["credentials"][0]
    example = yaml.safe_load(EXAMPLE.read_text())
    with SimulatorServer(build_simulator(load_scenario(None))) as server:
        for name, value in {
            "DRW_CLOUD__ENDPOINT": server.url,
            "DRW_CLOUD__ACCESS_KEY": key["access_key"],
            "DRW_CLOUD__SECRET_KEY": key["secret_key"],
            "DRW_CLOUD__VERIFY_TLS": "false",
            "DRW_STATE__PATH": str(tmp_path / "j.db"),
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
        code = main(["probe", "--config", str(EXAMPLE), "--secrets-dir", str(tmp_path), "--json"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "DWS.10101" not in out
    results = json.loads(out)
    assert [r["observation"]["pair"] for r in results] == [p["name"] for p in example["pairs"]]
    for result in results:
        assert result["observation"]["dr_task"] is not None, result["observation"]["signals"]
        assert result["decision"]["state"] == "healthy"
