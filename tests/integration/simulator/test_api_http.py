"""Gateway behaviour over HTTP: skew, project isolation, unknown routes, consistency, request counts."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx

from watchdog.dws.signing import DATE_FORMAT
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    OTHER_CREDENTIALS,
    OTHER_PROJECT_ID,
    TEST_DR_ID,
    TEST_PROJECT_ID,
    TEST_TOKEN,
    signed_request,
)

P = TEST_PROJECT_ID
DETAIL = f"/v2/{P}/disaster-recovery/{TEST_DR_ID}"


def test_sdk_date_skew_against_the_real_clock(sim_server: SimulatorServer) -> None:
    """X-Sdk-Date 20 minutes old is 401 APIGW.0303, however the virtual clock runs."""
    old = (datetime.now(UTC) - timedelta(minutes=20)).strftime(DATE_FORMAT)
    resp = signed_request(sim_server.url, "GET", DETAIL, headers={"X-Sdk-Date": old})
    assert (resp.status_code, resp.json()["error_code"]) == (401, "APIGW.0303")


def test_path_project_must_match_the_credentials(sim_server: SimulatorServer) -> None:
    """Calling another project's path with this project's keys is 403 with an error body."""
    resp = signed_request(sim_server.url, "GET", f"/v2/{OTHER_PROJECT_ID}/disaster-recoveries")
    assert resp.status_code == 403
    assert resp.json()["error_code"] == "APIGW.0302"


def test_projects_are_isolated(sim_server: SimulatorServer) -> None:
    """Another project's credentials see an empty list and DWS.10101 for this project's DR id."""
    other_list = f"/v2/{OTHER_PROJECT_ID}/disaster-recoveries"
    other_detail = f"/v2/{OTHER_PROJECT_ID}/disaster-recovery/{TEST_DR_ID}"
    listed = signed_request(sim_server.url, "GET", other_list, OTHER_CREDENTIALS, project_id=OTHER_PROJECT_ID)
    detail = signed_request(
        sim_server.url, "GET", other_detail, OTHER_CREDENTIALS, project_id=OTHER_PROJECT_ID
    )
    assert listed.json() == {"disaster_recovery": []}
    assert (detail.status_code, detail.json()["error_code"]) == (400, "DWS.10101")


def test_token_auth(sim_server: SimulatorServer) -> None:
    """A simulator-issued X-Auth-Token works without any signature."""
    with httpx_client(sim_server) as client:
        resp = client.get(DETAIL, headers={"X-Auth-Token": TEST_TOKEN})
    assert resp.json()["disaster_recovery"]["id"] == TEST_DR_ID


def test_unknown_route_and_method(sim_server: SimulatorServer) -> None:
    """Unknown paths and wrong methods are 404 APIGW.0101 with an X-Request-Id."""
    with httpx_client(sim_server) as client:
        wrong_path = client.get(f"/v3/{P}/disaster-recoveries")
        wrong_method = client.post(DETAIL)
    for resp in (wrong_path, wrong_method):
        assert (resp.status_code, resp.json()["error_code"]) == (404, "APIGW.0101")
        assert resp.headers["X-Request-Id"]


def test_concurrent_pollers_see_one_consistent_state(
    sim_server: SimulatorServer, simulator: Simulator
) -> None:
    """During a failover, every concurrent read shows a status that matches who is primary."""
    pair = simulator.pair(TEST_DR_ID)
    old, new = pair.primary_cluster_id, pair.standby_cluster_id
    simulator.configure_pair(TEST_DR_ID, failover_seconds=0.3, promote_seconds=0.1)
    allowed = {("running", old), ("switchovering", old), ("abnormal", new)}
    seen: list[tuple[str, str]] = []

    def poll() -> None:
        with httpx.Client(timeout=5) as client:
            for _ in range(15):
                body = signed_request(sim_server.url, "GET", DETAIL, client=client).json()[
                    "disaster_recovery"
                ]
                seen.append((body["status"], body["primary_cluster"]["id"]))

    threads = [threading.Thread(target=poll) for _ in range(6)]
    for thread in threads:
        thread.start()
    assert signed_request(sim_server.url, "POST", f"{DETAIL}/failover").status_code == 200
    for thread in threads:
        thread.join()
    assert set(seen) <= allowed
    assert len(seen) == 90


def test_request_log_counts_per_project(sim_server: SimulatorServer, simulator: Simulator) -> None:
    """The request log counts calls per operation and project since a mark."""
    mark = simulator.request_seq()
    for _ in range(3):
        signed_request(sim_server.url, "GET", f"/v2/{P}/disaster-recoveries")
    signed_request(
        sim_server.url,
        "GET",
        f"/v1.0/{OTHER_PROJECT_ID}/clusters",
        OTHER_CREDENTIALS,
        project_id=OTHER_PROJECT_ID,
    )
    mine = simulator.requests(operation="list_disaster_recover", project_id=P, since_seq=mark)
    theirs = simulator.requests(project_id=OTHER_PROJECT_ID, since_seq=mark)
    assert [r.status for r in mine] == [200, 200, 200]
    assert [r.operation for r in theirs] == ["list_clusters"]


def test_thousands_of_pairs(simulator: Simulator) -> None:
    """3000 pairs in one project: a list answers them all, and another project's detail stays cheap."""
    simulator.add_pairs(OTHER_PROJECT_ID, 3000, sync_interval_seconds=60)
    with SimulatorServer(simulator) as server, httpx.Client(timeout=30) as client:
        started = time.monotonic()
        listed = signed_request(
            server.url, "GET", f"/v2/{OTHER_PROJECT_ID}/disaster-recoveries", OTHER_CREDENTIALS,
            project_id=OTHER_PROJECT_ID, client=client,
        )  # fmt: skip
        list_seconds = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert signed_request(server.url, "GET", DETAIL, client=client).status_code == 200
        detail_seconds = (time.monotonic() - started) / 20
    assert len(listed.json()["disaster_recovery"]) == 3000
    assert list_seconds < 10
    assert detail_seconds < 0.25


def httpx_client(server: SimulatorServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=5)


def test_protocol_errors_still_carry_a_request_id(sim_server: SimulatorServer) -> None:
    """Methods the API does not know (PATCH, OPTIONS) get an error body and an X-Request-Id too."""
    with httpx_client(sim_server) as client:
        patched = client.patch(DETAIL)
        options = client.options(DETAIL)
    assert (patched.status_code, patched.json()["error_code"]) == (404, "APIGW.0101")
    assert options.status_code == 501
    assert options.json()["error_code"] == "APIGW.501"
    assert patched.headers["X-Request-Id"] and options.headers["X-Request-Id"]


def test_ipv6_loopback_listener(simulator: Simulator) -> None:
    """The simulator also serves on ::1, with a bracketed URL that signs and verifies."""
    with SimulatorServer(simulator, host="::1") as server:
        assert server.url.startswith("http://[::1]:")
        assert signed_request(server.url, "GET", DETAIL).status_code == 200
