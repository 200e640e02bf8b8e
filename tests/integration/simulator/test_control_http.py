"""The /_sim/ control endpoint: unsigned JSON that drives the simulator from another process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PROJECT_ID, signed_request

P = TEST_PROJECT_ID


@pytest.fixture
def control(sim_server: SimulatorServer) -> Iterator[httpx.Client]:
    """A plain (unsigned) client for the control endpoint."""
    with httpx.Client(base_url=sim_server.url + "/_sim", timeout=5) as client:
        yield client


def test_state_shows_pairs_clusters_and_faults(control: httpx.Client) -> None:
    """GET /_sim/state lists the pairs with their detail, the clusters and the active faults."""
    state = control.get("/state").json()
    assert [p["id"] for p in state["pairs"]] == [TEST_DR_ID]
    assert len(state["clusters"]) == 2
    assert state["faults"] == []


def test_inject_list_and_clear_faults(control: httpx.Client, sim_server: SimulatorServer) -> None:
    """POST /_sim/faults makes the API answer 503; DELETE /_sim/faults restores it."""
    added = control.post(
        "/faults", json={"kind": "error", "status": 503, "operation": "list_disaster_recover"}
    )
    listed = control.get("/faults").json()["faults"]
    failing = signed_request(sim_server.url, "GET", f"/v2/{P}/disaster-recoveries").status_code
    cleared = control.delete("/faults").json()
    working = signed_request(sim_server.url, "GET", f"/v2/{P}/disaster-recoveries").status_code
    assert added.status_code == 200
    assert [f["id"] for f in listed] == [added.json()["id"]]
    assert (failing, cleared, working) == (503, {"cleared": 1}, 200)


def test_fail_and_recover_a_cluster(
    control: httpx.Client, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """POST /_sim/clusters/{id}/fail and /recover change what the cluster API reports."""
    cid = simulator.pair(TEST_DR_ID).primary_cluster_id
    path = f"/v1.0/{P}/clusters/{cid}"
    control.post(f"/clusters/{cid}/fail", json={"sub_status": "DEGRADED"})
    failed = signed_request(sim_server.url, "GET", path).json()["cluster"]
    control.post(f"/clusters/{cid}/recover")
    recovered = signed_request(sim_server.url, "GET", path).json()["cluster"]
    assert (failed["status"], failed["sub_status"]) == ("FAILED", "DEGRADED")
    assert recovered["status"] == "AVAILABLE"


def test_clock_stall_calls_and_requests(
    control: httpx.Client, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """Stall a pair, move the clock, then read the accepted calls and the request log."""
    control.post(f"/pairs/{TEST_DR_ID}/stall")
    before = simulator.dr_progress(TEST_DR_ID)["recovery_point_object"]
    control.post("/clock/advance", json={"seconds": 3600})
    after = simulator.dr_progress(TEST_DR_ID)["recovery_point_object"]
    signed_request(sim_server.url, "POST", f"/v2/{P}/disaster-recovery/{TEST_DR_ID}/failover")
    calls = control.get("/calls", params={"operation": "switch_failover_disaster"}).json()["calls"]
    requests = control.get("/requests", params={"project_id": P}).json()
    assert after - before >= 3600
    assert [c["disaster_recovery_id"] for c in calls] == [TEST_DR_ID]
    assert requests["count"] == 1
    assert requests["requests"][0]["operation"] == "switch_failover_disaster"


def test_add_pairs_in_bulk(control: httpx.Client, simulator: Simulator) -> None:
    """POST /_sim/pairs creates many pairs at once."""
    resp = control.post(
        "/pairs", json={"project_id": P, "count": 50, "prefix": "bench", "sync_interval_seconds": 60}
    )
    assert len(resp.json()["pairs"]) == 50
    assert len(simulator.dr_list(P)) == 51


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/faults", {"kind": "zap"}, 400),
        ("POST", "/clusters/00000000-0000-4000-8000-000000000000/fail", {}, 404),
        ("GET", "/nothing", None, 404),
        ("POST", "/clock/advance", {"seconds": -5}, 400),
    ],
)
def test_bad_control_requests(
    control: httpx.Client, method: str, path: str, body: dict[str, object] | None, status: int
) -> None:
    """Bad control requests get a status and a one-line {"error_code","error_msg"} body."""
    resp = control.request(method, path, json=body)
    assert resp.status_code == status
    assert resp.json()["error_code"] == f"SIM.{status}"
    assert "\n" not in resp.json()["error_msg"]


def test_overrides_inject_odd_values(
    control: httpx.Client, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """POST /_sim/overrides/{id} forces fields (unknown status, garbage timestamp); DELETE removes them."""
    path = f"/v2/{P}/disaster-recovery/{TEST_DR_ID}"
    control.post(
        f"/overrides/{TEST_DR_ID}", json={"status": "limbo", "primary_cluster__last_success_time": "soon"}
    )
    odd = signed_request(sim_server.url, "GET", path).json()["disaster_recovery"]
    control.delete(f"/overrides/{TEST_DR_ID}")
    normal = signed_request(sim_server.url, "GET", path).json()["disaster_recovery"]
    assert (odd["status"], odd["primary_cluster"]["last_success_time"]) == ("limbo", "soon")
    assert normal["status"] == "running"
