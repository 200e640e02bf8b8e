"""Several regions in one simulator process (issue 12): a scenario's `regions` served on their own
listeners by `simulate`, and the region outage (its API endpoint and its clusters down together)
from the Python API, the control endpoint and a scenario timeline."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.scenario import build_simulator, parse_scenario
from watchdog.simulator.testing import (
    OTHER_CREDENTIALS,
    OTHER_PROJECT_ID,
    TEST_CREDENTIALS,
    TEST_PROJECT_ID,
    add_test_credentials,
    signed_request,
)

DR_LIST = "/v2/{}/disaster-recoveries"


def geo_world() -> tuple[Simulator, str]:
    sim = Simulator(seed=4)
    add_test_credentials(sim)
    pair = sim.add_pair(
        TEST_PROJECT_ID, "geo", dr_type="region", standby_project_id=OTHER_PROJECT_ID,
        standby_region="cn-east-3", abnormal_delay_seconds=0,
    )  # fmt: skip
    return sim, pair.disaster_recovery_id


def test_a_region_outage_takes_its_api_and_clusters_down_together() -> None:
    """north's listener resets, north's cluster is FAILED and, read through east, the DR task is
    abnormal with production's side abnormal; east's cluster stays AVAILABLE; the end undoes it."""
    sim, dr = geo_world()
    with (
        SimulatorServer(sim, region="cn-north-4") as north,
        SimulatorServer(sim, region="cn-east-3") as east,
    ):
        failed = sim.region_outage("cn-north-4")
        assert failed == [sim.pair(dr).primary_cluster_id]
        with pytest.raises(httpx.TransportError):
            signed_request(north.url, "GET", DR_LIST.format(TEST_PROJECT_ID), TEST_CREDENTIALS)
        (item,) = signed_request(
            east.url, "GET", DR_LIST.format(OTHER_PROJECT_ID), OTHER_CREDENTIALS, project_id=OTHER_PROJECT_ID
        ).json()["disaster_recovery"]
        assert (item["status"], item["primary_cluster_status"]) == ("abnormal", "abnormal")
        assert sim.cluster_detail(sim.pair(dr).standby_cluster_id)["status"] == "AVAILABLE"
        assert {r.region for r in sim.requests()} == {"cn-north-4", "cn-east-3"}
        sim.end_region_outage("cn-north-4")
        resp = signed_request(north.url, "GET", DR_LIST.format(TEST_PROJECT_ID), TEST_CREDENTIALS)
        assert resp.status_code == 200
        assert sim.cluster_detail(sim.pair(dr).primary_cluster_id)["status"] == "AVAILABLE"


def test_the_control_endpoint_starts_and_ends_a_region_outage() -> None:
    sim, dr = geo_world()
    with SimulatorServer(sim, region="cn-east-3") as east:
        started = httpx.post(f"{east.url}/_sim/regions/cn-north-4/outage", json={}).json()
        assert started == {
            "region": "cn-north-4",
            "outage": True,
            "failed_clusters": [sim.pair(dr).primary_cluster_id],
        }
        assert httpx.delete(f"{east.url}/_sim/regions/cn-north-4/outage").json()["outage"] is False
        assert sim.cluster_detail(sim.pair(dr).primary_cluster_id)["status"] == "AVAILABLE"


def test_scenario_keys_for_regions_and_the_outage_timeline() -> None:
    """`region` on a pair places its production cluster, `region_outage` in the timeline fires at its
    time, and a timeline event without its region is one line naming the field."""
    text = f"""
regions: [cn-east-3]
credentials: [{{access_key: AK1, secret_key: SK1, project_id: {TEST_PROJECT_ID}}}]
pairs:
  - {{name: geo, project_id: {TEST_PROJECT_ID}, region: cn-north-4, dr_type: region,
      standby_project_id: {OTHER_PROJECT_ID}, standby_region: cn-east-3}}
timeline:
  - {{at: 0, action: region_outage, region: cn-north-4}}
"""
    scenario = parse_scenario(text, "geo.yaml")
    assert scenario.regions == ["cn-east-3"]
    sim = build_simulator(scenario)
    pair = next(p for p in sim.pairs.values() if p.name == "geo")
    assert sim.cluster_detail(pair.primary_cluster_id)["status"] == "FAILED"
    assert sim.cluster_detail(pair.standby_cluster_id)["status"] == "AVAILABLE"
    one_line = r"^scenario bad.yaml: timeline.0.region: required for action region_outage$"
    with pytest.raises(ValueError, match=one_line):
        parse_scenario("timeline: [{at: 0, action: region_outage}]", "bad.yaml")


def test_simulate_serves_each_region_on_its_own_listener(tmp_path: Path) -> None:
    """`simulate` with `regions` prints one URL per region; each answers, and a region outage hits
    only its own listener."""
    scenario = tmp_path / "geo.yaml"
    scenario.write_text(
        f"regions: [cn-east-3]\ncredentials: [{{access_key: {TEST_CREDENTIALS.access_key}, "
        f"secret_key: {TEST_CREDENTIALS.secret_key}, project_id: {TEST_PROJECT_ID}}}]\n"
    )
    run = f"run_simulate('127.0.0.1:0', {str(scenario)!r})"
    code = f"from watchdog.simulator.cli import run_simulate; raise SystemExit({run})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        urls: dict[str, str] = {}
        while len(urls) < 2:
            line = proc.stdout.readline()
            assert line, "the banner ended before both regions"
            match = re.match(r"region (\S+): (http://127\.0\.0\.1:\d+)", line)
            if match:
                urls[match.group(1)] = match.group(2)
        assert set(urls) == {"cn-north-4", "cn-east-3"}
        httpx.post(f"{urls['cn-east-3']}/_sim/regions/cn-north-4/outage", json={})
        with pytest.raises(httpx.TransportError):
            signed_request(urls["cn-north-4"], "GET", DR_LIST.format(TEST_PROJECT_ID), TEST_CREDENTIALS)
        east = signed_request(urls["cn-east-3"], "GET", DR_LIST.format(TEST_PROJECT_ID), TEST_CREDENTIALS)
        assert east.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
