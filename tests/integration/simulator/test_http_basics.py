"""The simulator over real HTTP on 127.0.0.1: routes, shapes, errors and request ids."""

from __future__ import annotations

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PROJECT_ID, signed_request

P = TEST_PROJECT_ID


def test_list_uses_singular_key_holding_a_list(sim_server: SimulatorServer) -> None:
    """The DR list answers {"disaster_recovery": [...]} with the pair and an X-Request-Id header."""
    resp = signed_request(sim_server.url, "GET", f"/v2/{P}/disaster-recoveries")
    assert resp.status_code == 200
    assert resp.headers["X-Request-Id"]
    items = resp.json()["disaster_recovery"]
    assert [item["id"] for item in items] == [TEST_DR_ID]
    assert items[0]["status"] == "running"


def test_failover_answers_at_once_and_is_recorded(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """A failover POST answers 200 with the DR id, lands in failover_calls(), and a second is rejected."""
    path = f"/v2/{P}/disaster-recovery/{TEST_DR_ID}/failover"
    first = signed_request(sim_server.url, "POST", path)
    second = signed_request(sim_server.url, "POST", path)
    assert first.status_code == 200
    assert first.json() == {"disaster_recovery": {"id": TEST_DR_ID}}
    assert second.status_code == 400
    assert second.json()["error_code"] == "DWS.10112"
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
