"""Fault injection over real HTTP: hangs, resets, malformed bodies, throttling, latency, outages."""

from __future__ import annotations

import time

import httpx
import pytest

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PROJECT_ID, signed_request

P = TEST_PROJECT_ID
DETAIL = f"/v2/{P}/disaster-recovery/{TEST_DR_ID}"
FAILOVER = f"{DETAIL}/failover"


def test_failover_applied_then_hang_is_ambiguous(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """`hang` with apply: the failover is accepted and recorded, but the client only sees a timeout."""
    simulator.configure_pair(TEST_DR_ID, failover_seconds=600)
    simulator.inject(kind="hang", operation="switch_failover_disaster", apply=True, seconds=30)
    with pytest.raises(httpx.ReadTimeout):
        signed_request(sim_server.url, "POST", FAILOVER, timeout=0.5)
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert simulator.dr_detail(TEST_DR_ID)["status"] == "switchovering"
    simulator.clear_faults()
    assert signed_request(sim_server.url, "GET", DETAIL).status_code == 200


def test_hang_without_apply_does_nothing(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """`hang` without apply swallows the request: no failover happens."""
    simulator.inject(kind="hang", operation="switch_failover_disaster", seconds=30)
    with pytest.raises(httpx.ReadTimeout):
        signed_request(sim_server.url, "POST", FAILOVER, timeout=0.5)
    simulator.clear_faults()
    assert simulator.failover_calls() == []
    assert simulator.dr_detail(TEST_DR_ID)["status"] == "running"


def test_reset_then_recovers(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """`reset` with count=1 drops one connection without an answer; the next request is served."""
    simulator.inject(kind="reset", count=1)
    with pytest.raises(httpx.TransportError):
        signed_request(sim_server.url, "GET", DETAIL)
    assert signed_request(sim_server.url, "GET", DETAIL).status_code == 200
    statuses = [r.status for r in simulator.requests(operation="show_disaster_detail")]
    assert statuses == [0, 200]


def test_malformed_json(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """`malformed` answers 200 with a body that is not JSON."""
    simulator.inject(kind="malformed", operation="list_disaster_recover", count=1)
    resp = signed_request(sim_server.url, "GET", f"/v2/{P}/disaster-recoveries")
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


@pytest.mark.parametrize(("status", "code"), [(429, "APIGW.0308"), (500, "DWS.9999"), (503, "DWS.9998")])
def test_error_statuses_carry_error_bodies(
    sim_server: SimulatorServer, simulator: Simulator, status: int, code: str
) -> None:
    """Injected 429/500/503 answers carry {"error_code","error_msg"} and an X-Request-Id."""
    simulator.inject(kind="error", status=status, count=1)
    resp = signed_request(sim_server.url, "GET", DETAIL)
    assert (resp.status_code, resp.json()["error_code"]) == (status, code)
    assert resp.headers["X-Request-Id"]


def test_error_with_apply_accepts_the_failover(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """A 503 with apply: the failover is accepted although the client sees a server error."""
    simulator.inject(kind="error", status=503, operation="switch_failover_disaster", apply=True, count=1)
    resp = signed_request(sim_server.url, "POST", FAILOVER)
    assert resp.status_code == 503
    assert len(simulator.failover_calls()) == 1


def test_latency(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """`latency` delays the answer by the given real seconds and then answers normally."""
    simulator.inject(kind="latency", seconds=0.3, count=1)
    started = time.monotonic()
    resp = signed_request(sim_server.url, "GET", DETAIL)
    assert resp.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_whole_api_unreachable_for_a_while(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """unreachable(): every API request is reset until the virtual duration has passed."""
    simulator.unreachable(for_seconds=60)
    with pytest.raises(httpx.TransportError):
        signed_request(sim_server.url, "GET", f"/v1.0/{P}/clusters")
    simulator.advance(61)
    assert signed_request(sim_server.url, "GET", f"/v1.0/{P}/clusters").status_code == 200


def test_stop_listening_and_restart_on_the_same_port(simulator: Simulator) -> None:
    """A stopped server refuses connections; a new one on the same port serves the same world."""
    server = SimulatorServer(simulator).start()
    url, port = server.url, server.port
    server.stop()
    with pytest.raises(httpx.ConnectError):
        signed_request(url, "GET", DETAIL)
    with SimulatorServer(simulator, port=port) as again:
        assert signed_request(again.url, "GET", DETAIL).status_code == 200


def test_malformed_with_a_wrong_shape(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """`malformed` with raw_body sends valid JSON of the wrong shape, byte for byte."""
    simulator.inject(kind="malformed", operation="show_disaster_detail", raw_body='{"disaster_recovery": 7}')
    assert signed_request(sim_server.url, "GET", DETAIL).json() == {"disaster_recovery": 7}
