"""Our DwsClient against the simulator over real HTTP on 127.0.0.1: every operation and every error class."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.dws.support import Recorder, closed_port_url, logged_statuses, run_client
from watchdog.dws import errors
from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.dws.models import ClusterStatus, DrClusterStatus, DrStatus
from watchdog.dws.signing import Credentials, TokenCredentials
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    OTHER_CREDENTIALS,
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_TEMP_CREDENTIALS,
    TEST_TOKEN,
)

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


def test_every_read_operation(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """List, detail, progress, cluster detail and cluster list all parse into their typed models."""
    pair = simulator.pair(TEST_DR_ID)
    primary, standby = pair.primary_cluster_id, pair.standby_cluster_id

    async def body(c: DwsClient) -> tuple[Any, ...]:
        return (
            await c.list_disaster_recoveries(),
            await c.show_disaster_recovery(TEST_DR_ID),
            await c.show_disaster_progress(TEST_DR_ID),
            await c.show_cluster(primary),
            await c.list_clusters(),
        )

    dr_list, detail, progress, cluster, clusters = run_client(sim_server.url, body)
    assert [(d.id, d.name, d.status) for d in dr_list] == [(TEST_DR_ID, TEST_PAIR_NAME, DrStatus.RUNNING)]
    assert dr_list[0].primary_cluster_id == primary and dr_list[0].standby_cluster_id == standby
    assert detail.primary_cluster is not None and detail.primary_cluster.id == primary
    assert detail.standby_cluster is not None and detail.standby_cluster.id == standby
    assert detail.primary_cluster.status is not DrClusterStatus.UNKNOWN
    assert detail.primary_cluster.last_success_time is not None
    assert progress.recovery_point_object is not None
    assert (
        cluster.id == primary and cluster.status is ClusterStatus.AVAILABLE and cluster.action_progress == {}
    )
    assert {c.id for c in clusters} == {primary, standby}


@pytest.mark.parametrize(
    "credentials", [TEST_TEMP_CREDENTIALS, TokenCredentials(TEST_TOKEN)], ids=["temporary", "token"]
)
def test_temporary_credentials_and_token_auth(
    sim_server: SimulatorServer, credentials: Credentials | TokenCredentials
) -> None:
    """AK/SK with a security token, and an IAM token, are both accepted by the gateway."""
    items = run_client(sim_server.url, lambda c: c.list_disaster_recoveries(), credentials=credentials)
    assert [i.id for i in items] == [TEST_DR_ID]


def test_wrong_secret_key_is_an_authentication_error(sim_server: SimulatorServer) -> None:
    """A wrong SK gets 401 APIGW.0301 as AuthenticationError, asked once, and the SK is not in the text."""
    recorder = Recorder()
    wrong = Credentials(TEST_ACCESS_KEY, "wrongSecretKey000000000000000000000000001")
    with pytest.raises(errors.AuthenticationError) as info:
        run_client(
            sim_server.url, lambda c: c.list_disaster_recoveries(), credentials=wrong, observer=recorder
        )
    assert (info.value.status, info.value.error_code) == (401, "APIGW.0301")
    assert info.value.request_id
    assert recorder.codes() == ["401"]
    assert wrong.secret_key not in str(info.value)


def test_other_project_is_refused(sim_server: SimulatorServer) -> None:
    """Credentials of another project used on this project's path are refused, not read."""
    with pytest.raises(errors.AuthenticationError) as info:
        run_client(sim_server.url, lambda c: c.list_disaster_recoveries(), credentials=OTHER_CREDENTIALS)
    assert info.value.status == 403


def test_not_found_dr_and_cluster(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """An unknown DR id is ResourceGoneError DWS.10101 (a 400); an unknown cluster DWS.0047 (a 404).
    A gateway 404 (APIGW.0101) on the same read is a plain NotFoundError: no proof of deletion."""
    with pytest.raises(errors.ResourceGoneError) as dr:
        run_client(sim_server.url, lambda c: c.show_disaster_recovery(UNKNOWN_UUID))
    assert (dr.value.status, dr.value.error_code) == (400, "DWS.10101")
    with pytest.raises(errors.ResourceGoneError) as cluster:
        run_client(sim_server.url, lambda c: c.show_cluster(UNKNOWN_UUID))
    assert (cluster.value.status, cluster.value.error_code) == (404, "DWS.0047")
    simulator.inject(
        kind="error", operation="list_cluster_details", status=404, error_code="APIGW.0101",
        error_msg="The API does not exist or has not been published in the environment.",
    )  # fmt: skip
    with pytest.raises(errors.NotFoundError) as gateway:
        run_client(sim_server.url, lambda c: c.show_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id))
    assert type(gateway.value) is errors.NotFoundError and gateway.value.error_code == "APIGW.0101"


def test_action_rejected_in_current_state(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """A switchover while a failover runs is refused as RejectedError and not recorded as accepted."""

    async def body(c: DwsClient) -> None:
        await c.failover(TEST_DR_ID)
        await c.switchover(TEST_DR_ID)

    with pytest.raises(errors.RejectedError) as info:
        run_client(sim_server.url, body)
    assert info.value.status == 400 and info.value.operation == "switchover_disaster_recovery"
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert [c.operation.value for c in simulator.action_calls(dr_id=TEST_DR_ID)] == [
        "switch_failover_disaster"
    ]


def test_throttling_is_retried_until_it_clears(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """Two 429s then a 200: the read succeeds on the third attempt, as the simulator's log shows."""
    simulator.inject(kind="error", operation="list_disaster_recover", status=429, count=2)
    mark = simulator.request_seq()
    recorder = Recorder()
    items = run_client(sim_server.url, lambda c: c.list_disaster_recoveries(), observer=recorder)
    assert [i.id for i in items] == [TEST_DR_ID]
    assert logged_statuses(simulator, "list_disaster_recover", mark, 3) == [429, 429, 200]
    assert recorder.codes() == ["429", "429", "200"]


def test_persistent_throttling_is_a_throttled_error(
    simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A 429 that never clears is retried `attempts` times, then raised as ThrottledError APIGW.0308."""
    simulator.inject(kind="error", operation="list_clusters", status=429)
    recorder = Recorder()
    with pytest.raises(errors.ThrottledError) as info:
        run_client(sim_server.url, lambda c: c.list_clusters(), observer=recorder)
    assert (info.value.status, info.value.error_code) == (429, "APIGW.0308")
    assert info.value.retriable and info.value.request_id
    assert recorder.codes() == ["429"] * 3


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_then_raised(
    simulator: Simulator, sim_server: SimulatorServer, status: int
) -> None:
    """A persistent 5xx is retried `attempts` times, then raised as ServerError with the injected code."""
    simulator.inject(kind="error", operation="show_disaster_detail", status=status)
    mark = simulator.request_seq()
    retry = RetryPolicy(attempts=3, base=0.05, cap=0.1, deadline=5.0)
    with pytest.raises(errors.ServerError) as info:
        run_client(sim_server.url, lambda c: c.show_disaster_recovery(TEST_DR_ID), retry=retry)
    assert info.value.status == status and info.value.error_code
    assert len(logged_statuses(simulator, "show_disaster_detail", mark, 3)) == 3


def test_transient_server_error_recovers(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """One 503 then normal service: the caller just sees the answer."""
    simulator.inject(kind="error", operation="list_clusters", status=503, count=1)
    recorder = Recorder()
    clusters = run_client(sim_server.url, lambda c: c.list_clusters(), observer=recorder)
    assert len(clusters) == 2 and recorder.codes() == ["503", "200"]


def test_hanging_reads_time_out_within_the_deadline(
    simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A server that never answers costs timeout per attempt, and the whole call stays inside its deadline."""
    simulator.inject(kind="hang", operation="list_disaster_recover", seconds=10)
    recorder = Recorder()
    started = time.monotonic()
    with pytest.raises(errors.RequestTimeout):
        run_client(
            sim_server.url,
            lambda c: c.list_disaster_recoveries(),
            timeout=0.3,
            retry=RetryPolicy(attempts=10, base=0.05, cap=0.1, deadline=1.0),
            observer=recorder,
        )
    elapsed = time.monotonic() - started
    simulator.clear_faults()
    assert elapsed < 2.0
    assert 2 <= len(recorder.codes()) <= 4 and set(recorder.codes()) == {"timeout"}


def test_unreachable_endpoint(tmp_path: Any) -> None:
    """Nothing listening on the port: UnreachableError after the retries, each attempt reported."""
    recorder = Recorder()
    with pytest.raises(errors.UnreachableError):
        run_client(closed_port_url(), lambda c: c.list_clusters(), observer=recorder)
    assert recorder.codes() == ["unreachable"] * 3


def test_connection_reset_is_unreachable(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """A reset with no answer is retried, then reported as UnreachableError."""
    simulator.inject(kind="reset", operation="list_clusters")
    mark = simulator.request_seq()
    with pytest.raises(errors.UnreachableError):
        run_client(sim_server.url, lambda c: c.list_clusters())
    assert len(logged_statuses(simulator, "list_clusters", mark, 3)) == 3


def test_malformed_json_is_a_typed_error_not_retried(
    simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A 200 whose body is not JSON is MalformedResponseError after one attempt."""
    simulator.inject(kind="malformed", operation="show_disaster_progress")
    recorder = Recorder()
    with pytest.raises(errors.MalformedResponseError) as info:
        run_client(sim_server.url, lambda c: c.show_disaster_progress(TEST_DR_ID), observer=recorder)
    assert info.value.status == 200
    assert recorder.codes() == ["malformed"]
