"""act_via (issue 12): a cross-region pair's failover is POSTed through the side its setting names,
and followed to completion through the same side (the DR task) and the new primary's own endpoint;
the operator's `dr-watchdog failover` against a simulator serving two regions."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from watchdog.cli import EXIT_OK, main
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    FAST_TIMING,
    OTHER_ACCESS_KEY,
    OTHER_PROJECT_ID,
    OTHER_SECRET_KEY,
    TEST_ACCESS_KEY,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
    add_test_credentials,
)


@pytest.mark.parametrize(
    ("act_via", "region", "project"),
    [(None, "cn-east-3", OTHER_PROJECT_ID), ("production", "cn-north-4", TEST_PROJECT_ID)],
    ids=["default-dr", "production"],
)
def test_failover_goes_through_the_act_via_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, act_via: str | None, region: str, project: str
) -> None:
    """Default (dr): the POST goes to the DR region's endpoint and project; act_via production: to
    production's. Either way exactly one POST, the switch completes, and the DR-task reads after the
    POST all go through the same side."""
    sim = Simulator(seed=5)
    add_test_credentials(sim)
    pair = sim.add_pair(
        TEST_PROJECT_ID, "geo", dr_type="region", standby_project_id=OTHER_PROJECT_ID,
        standby_region="cn-east-3", **FAST_TIMING,
    )  # fmt: skip
    with ExitStack() as stack:
        north = stack.enter_context(SimulatorServer(sim, region="cn-north-4"))
        east = stack.enter_context(SimulatorServer(sim, region="cn-east-3"))
        entry = {"name": "geo", "disaster_recovery_id": pair.disaster_recovery_id, "dr": "east"}
        if act_via is not None:
            entry["act_via"] = act_via
        config = {
            "cloud": {
                "endpoint": north.url, "project_id": TEST_PROJECT_ID, "access_key": TEST_ACCESS_KEY,
                "secret_key": TEST_SECRET_KEY, "timeout_seconds": 1,
            },
            "endpoints": {
                "east": {
                    "region": "cn-east-3", "endpoint": east.url, "project_id": OTHER_PROJECT_ID,
                    "access_key": OTHER_ACCESS_KEY, "secret_key": OTHER_SECRET_KEY,
                }
            },
            "pairs": [entry],
            "failover": {"poll_interval_seconds": 0.2},
            "state": {"path": str(tmp_path / "j.db")},
        }  # fmt: skip
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump(config))
        for name in [n for n in os.environ if n.startswith("DRW_")]:
            monkeypatch.delenv(name)
        monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
        argv = ["failover", "--config", str(path), "--pair", "geo", "--force", "--yes"]
        code = main([*argv, "--secrets-dir", str(tmp_path / "none")])
        sent = sim.requests("switch_failover_disaster")
        posts = [(r.region, r.project_id, r.status) for r in sent]
        detail = sim.dr_detail(pair.disaster_recovery_id)
    assert code == EXIT_OK
    assert posts == [(region, project, 200)]
    assert detail["primary_cluster"]["id"] == pair.initial_standby_cluster_id
    follow = [r for r in sim.requests("show_disaster_detail") if r.seq > sent[0].seq]
    assert follow and {r.region for r in follow} == {region}  # tracked through the same side
