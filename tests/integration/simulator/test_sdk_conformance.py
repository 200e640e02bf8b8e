"""The official SDK (huaweicloudsdkdws, test-only) against the simulator over real HTTP.

This is the proof that the simulator speaks the real API: the SDK builds every request (paths,
signing, query strings, bodies) from the service's own spec and parses every answer into its models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # type: ignore[import-untyped]
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException  # type: ignore[import-untyped]
from huaweicloudsdkcore.http.http_config import HttpConfig  # type: ignore[import-untyped]
from huaweicloudsdkdws.v2 import (  # type: ignore[import-untyped]
    CheckDisasterNameRequest,
    CreateDisasterRecovery,
    CreateDisasterRecoveryReq,
    CreateDisasterRecoveryRequest,
    DeleteDisasterRecoveryRequest,
    DwsClient,
    ListAvailableDisasterClustersRequest,
    ListClusterDetailsRequest,
    ListClustersRequest,
    ListDisasterRecoverRequest,
    PauseDisasterRecoveryRequest,
    RestoreDisasterRequest,
    ShowClustersRequest,
    ShowDisasterDetailRequest,
    ShowDisasterProgressRequest,
    StartDisasterRecoveryRequest,
    SwitchFailoverDisasterRequest,
    SwitchoverDisasterRecoveryRequest,
    UpdateDisasterInfoRequest,
    UpdateDisasterRecoveryReq,
    UpdateDisasterRecoveryRequest,
)

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
    TEST_SECURITY_TOKEN,
    TEST_TEMP_ACCESS_KEY,
    TEST_TEMP_SECRET_KEY,
)

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
MakeClient = Callable[[BasicCredentials | None], DwsClient]


def _client(url: str, credentials: BasicCredentials) -> DwsClient:
    config = HttpConfig.get_default_config()
    config.timeout = (2, 5)
    return (
        DwsClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([url])
        .with_http_config(config)
        .build()
    )


@pytest.fixture
def make_client(sim_server: SimulatorServer) -> Iterator[MakeClient]:
    """Build SDK clients for the simulator and close their sessions afterwards."""
    clients: list[DwsClient] = []

    def make(credentials: BasicCredentials | None = None) -> DwsClient:
        creds = credentials or BasicCredentials(TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_PROJECT_ID)
        client = _client(sim_server.url, creds)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.get_http_client().close()


@pytest.fixture
def sdk(make_client: MakeClient) -> DwsClient:
    """An SDK client with the well-known permanent AK/SK."""
    return make_client(None)


def test_list_disaster_recover_parses(sdk: DwsClient, simulator: Simulator) -> None:
    """The SDK parses the DR list (singular key, a list) with roles, per-cluster statuses and sync time."""
    pair = simulator.pair(TEST_DR_ID)
    resp = sdk.list_disaster_recover(ListDisasterRecoverRequest())
    (item,) = resp.disaster_recovery
    assert (item.id, item.name, item.status) == (TEST_DR_ID, "sales-dw", "running")
    assert item.primary_cluster_id == pair.primary_cluster_id
    assert item.standby_cluster_id == pair.standby_cluster_id
    assert (item.primary_cluster_role, item.standby_cluster_role) == ("primary", "standby")
    assert item.primary_cluster_status in {"backuping", "waiting"}
    assert item.last_disaster_time.endswith("Z")


def test_list_filter_by_query(sdk: DwsClient, simulator: Simulator) -> None:
    """Query filters are signed by the SDK, verified by the simulator and applied to the list."""
    other = simulator.add_pair(TEST_PROJECT_ID, "other-dw")
    by_id = sdk.list_disaster_recover(ListDisasterRecoverRequest(id=other.disaster_recovery_id))
    by_primary = sdk.list_disaster_recover(ListDisasterRecoverRequest(primary_cluster_id=UNKNOWN_UUID))
    assert [i.id for i in by_id.disaster_recovery] == [other.disaster_recovery_id]
    assert by_primary.disaster_recovery == []


def test_show_disaster_detail_parses(sdk: DwsClient, simulator: Simulator) -> None:
    """The detail's primary/standby clusters carry ids, roles, status and last_success_time."""
    pair = simulator.pair(TEST_DR_ID)
    dr = sdk.show_disaster_detail(
        ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID)
    ).disaster_recovery
    assert (dr.id, dr.status, dr.dr_type, dr.dr_sync_period) == (TEST_DR_ID, "running", "az", "1m")
    assert dr.primary_cluster.id == pair.primary_cluster_id
    assert dr.primary_cluster.role == "primary"
    assert dr.standby_cluster.id == pair.standby_cluster_id
    assert dr.primary_cluster.last_success_time.endswith("Z")
    assert dr.primary_cluster.datastore_version == "8.2.1.220"


def test_show_disaster_progress_parses(sdk: DwsClient) -> None:
    """show-progress (under /v1) parses: backup/restore keys, barrier time and an RPO in seconds."""
    resp = sdk.show_disaster_progress(ShowDisasterProgressRequest(disaster_recovery_id=TEST_DR_ID))
    progress = resp.disaster_recovery_progress
    assert progress.primary_cluster.action_type == "Backup"
    assert progress.standby_cluster.action_type == "Restore"
    assert progress.latest_barrier_time.endswith("Z")
    assert 0 <= progress.recovery_point_object <= 4


def test_cluster_detail_parses(sdk: DwsClient, simulator: Simulator) -> None:
    """The cluster detail (under /v1.0) parses with status, version, string node statuses and endpoints."""
    primary_id = simulator.pair(TEST_DR_ID).primary_cluster_id
    cluster = sdk.list_cluster_details(ListClusterDetailsRequest(cluster_id=primary_id)).cluster
    assert (cluster.id, cluster.status, cluster.sub_status) == (primary_id, "AVAILABLE", "NORMAL")
    assert cluster.version == "8.2.1.220"
    assert cluster.action_progress == {}
    assert {node.status for node in cluster.nodes} == {"200"}
    assert cluster.endpoints[0].connect_info.endswith(":8000")


def test_both_cluster_lists_parse(sdk: DwsClient, simulator: Simulator) -> None:
    """The cluster list answers under both /v1.0 and /v2 with the same clusters and a count."""
    pair = simulator.pair(TEST_DR_ID)
    expected = {pair.primary_cluster_id, pair.standby_cluster_id}
    v1 = sdk.list_clusters(ListClustersRequest(enterprise_project_id="all_granted_eps"))
    v2 = sdk.show_clusters(ShowClustersRequest())
    assert v1.count == v2.count == 2
    assert {c.id for c in v1.clusters} == {c.id for c in v2.clusters} == expected


def test_failover_swaps_roles(sdk: DwsClient, simulator: Simulator) -> None:
    """Failover answers the DR id at once; after the switch the former standby is the primary."""
    pair = simulator.pair(TEST_DR_ID)
    old_primary, old_standby = pair.primary_cluster_id, pair.standby_cluster_id
    simulator.configure_pair(TEST_DR_ID, failover_seconds=60)
    resp = sdk.switch_failover_disaster(SwitchFailoverDisasterRequest(disaster_recovery_id=TEST_DR_ID))
    assert resp.disaster_recovery.id == TEST_DR_ID
    during = sdk.show_disaster_detail(ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID))
    assert during.disaster_recovery.status == "switchovering"
    simulator.advance(65)
    after = sdk.show_disaster_detail(
        ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID)
    ).disaster_recovery
    assert (after.primary_cluster.id, after.standby_cluster.id) == (old_standby, old_primary)
    assert after.status == "abnormal"
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_recovery_after_failover(sdk: DwsClient, simulator: Simulator) -> None:
    """Recovery is accepted after a failover and ends `running` with the old production as standby."""
    old_primary = simulator.pair(TEST_DR_ID).primary_cluster_id
    sdk.switch_failover_disaster(SwitchFailoverDisasterRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(5)
    resp = sdk.restore_disaster(RestoreDisasterRequest(disaster_recovery_id=TEST_DR_ID))
    assert resp.disaster_recovery.id == TEST_DR_ID
    simulator.advance(5)
    dr = sdk.show_disaster_detail(
        ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID)
    ).disaster_recovery
    assert (dr.status, dr.standby_cluster.id) == ("running", old_primary)


def test_switchover_swaps_roles_and_keeps_running(sdk: DwsClient, simulator: Simulator) -> None:
    """A planned switchover ends `running` with primary_cluster.id equal to the former standby."""
    old_standby = simulator.pair(TEST_DR_ID).standby_cluster_id
    sdk.switchover_disaster_recovery(SwitchoverDisasterRecoveryRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(5)
    dr = sdk.show_disaster_detail(
        ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID)
    ).disaster_recovery
    assert (dr.status, dr.primary_cluster.id) == ("running", old_standby)


def test_pause_update_start(sdk: DwsClient, simulator: Simulator) -> None:
    """Pause ends `stopped`; update (a JSON PUT body) changes dr_sync_period; start ends `running`."""
    sdk.pause_disaster_recovery(PauseDisasterRecoveryRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(2)
    body = UpdateDisasterRecoveryRequest(disaster_recovery=UpdateDisasterRecoveryReq(dr_sync_period="2H"))
    sdk.update_disaster_info(UpdateDisasterInfoRequest(disaster_recovery_id=TEST_DR_ID, body=body))
    stopped = sdk.show_disaster_detail(ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID))
    sdk.start_disaster_recovery(StartDisasterRecoveryRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(2)
    started = sdk.show_disaster_detail(ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID))
    assert (stopped.disaster_recovery.status, stopped.disaster_recovery.dr_sync_period) == ("stopped", "2H")
    assert started.disaster_recovery.status == "running"


def test_delete_then_not_found(sdk: DwsClient, simulator: Simulator) -> None:
    """A deleted DR task answers 400 DWS.10101, which the SDK raises as ClientRequestException."""
    sdk.delete_disaster_recovery(DeleteDisasterRecoveryRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(2)
    with pytest.raises(ClientRequestException) as info:
        sdk.show_disaster_detail(ShowDisasterDetailRequest(disaster_recovery_id=TEST_DR_ID))
    assert (info.value.status_code, info.value.error_code) == (400, "DWS.10101")


def test_rejected_failover_is_a_client_error(sdk: DwsClient, simulator: Simulator) -> None:
    """A failover while the DR task is stopped is rejected with 400 and is not recorded as accepted."""
    sdk.pause_disaster_recovery(PauseDisasterRecoveryRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(2)
    with pytest.raises(ClientRequestException) as info:
        sdk.switch_failover_disaster(SwitchFailoverDisasterRequest(disaster_recovery_id=TEST_DR_ID))
    assert (info.value.status_code, info.value.error_code) == (400, "DWS.10110")
    assert simulator.failover_calls() == []


def test_not_found_codes(sdk: DwsClient) -> None:
    """Unknown DR id: 400 DWS.10101; unknown cluster: 404 DWS.0047; malformed id: 400 DWS.0001."""
    cases: list[Callable[[], object]] = [
        (lambda: sdk.show_disaster_detail(ShowDisasterDetailRequest(disaster_recovery_id=UNKNOWN_UUID))),
        (lambda: sdk.list_cluster_details(ListClusterDetailsRequest(cluster_id=UNKNOWN_UUID))),
        (lambda: sdk.list_cluster_details(ListClusterDetailsRequest(cluster_id="not-a-uuid"))),
    ]
    seen = []
    for call in cases:
        with pytest.raises(ClientRequestException) as info:
            call()
        seen.append((info.value.status_code, info.value.error_code, bool(info.value.request_id)))
    assert seen == [(400, "DWS.10101", True), (404, "DWS.0047", True), (400, "DWS.0001", True)]


def test_wrong_secret_key_is_apigw_0301(make_client: MakeClient) -> None:
    """A wrong secret key gets the SDK's ClientRequestException with 401 APIGW.0301."""
    client = make_client(BasicCredentials(TEST_ACCESS_KEY, "wrong-secret-key", TEST_PROJECT_ID))
    with pytest.raises(ClientRequestException) as info:
        client.list_disaster_recover(ListDisasterRecoverRequest())
    assert (info.value.status_code, info.value.error_code) == (401, "APIGW.0301")
    assert info.value.error_msg.startswith("Incorrect IAM authentication information")


def test_temporary_credentials_with_token(make_client: MakeClient) -> None:
    """Temporary AK/SK with the right security token are accepted; a wrong token is APIGW.0301."""
    good = BasicCredentials(TEST_TEMP_ACCESS_KEY, TEST_TEMP_SECRET_KEY, TEST_PROJECT_ID)
    bad = BasicCredentials(TEST_TEMP_ACCESS_KEY, TEST_TEMP_SECRET_KEY, TEST_PROJECT_ID)
    ok = make_client(good.with_security_token(TEST_SECURITY_TOKEN))
    wrong = make_client(bad.with_security_token("not-the-token"))
    assert len(ok.list_disaster_recover(ListDisasterRecoverRequest()).disaster_recovery) == 1
    with pytest.raises(ClientRequestException) as info:
        wrong.list_disaster_recover(ListDisasterRecoverRequest())
    assert info.value.error_code == "APIGW.0301"


def test_injected_503_is_a_server_exception(sdk: DwsClient, simulator: Simulator) -> None:
    """An injected 503 reaches the SDK as ServerResponseException with the injected error body."""
    simulator.inject(kind="error", operation="list_disaster_recover", status=503, count=1)
    with pytest.raises(ServerResponseException) as info:
        sdk.list_disaster_recover(ListDisasterRecoverRequest())
    assert (info.value.status_code, info.value.error_code) == (503, "DWS.9998")
    assert len(sdk.list_disaster_recover(ListDisasterRecoverRequest()).disaster_recovery) == 1


def test_create_then_start(sdk: DwsClient, simulator: Simulator) -> None:
    """A DR task created through the API is `creating`, then `unstart`, and runs after start."""
    simulator.create_timing = {"create_seconds": 1, "start_seconds": 1}
    prod = simulator.add_cluster(TEST_PROJECT_ID, "new-prod")
    dr = simulator.add_cluster(TEST_PROJECT_ID, "new-dr")
    spec = CreateDisasterRecovery(
        name="new-dw", dr_type="az", primary_cluster_id=prod.id, standby_cluster_id=dr.id, dr_sync_period="2H"
    )
    request = CreateDisasterRecoveryRequest(body=CreateDisasterRecoveryReq(disaster_recovery=spec))
    new_id = sdk.create_disaster_recovery(request).disaster_recovery.id
    creating = sdk.show_disaster_detail(ShowDisasterDetailRequest(disaster_recovery_id=new_id))
    simulator.advance(2)
    sdk.start_disaster_recovery(StartDisasterRecoveryRequest(disaster_recovery_id=new_id))
    simulator.advance(2)
    running = sdk.show_disaster_detail(
        ShowDisasterDetailRequest(disaster_recovery_id=new_id)
    ).disaster_recovery
    assert creating.disaster_recovery.status == "creating"
    assert (running.status, running.dr_sync_period, running.primary_cluster.id) == ("running", "2H", prod.id)


def test_create_rejects_a_cluster_already_in_dr(sdk: DwsClient, simulator: Simulator) -> None:
    """Creating a DR task on a cluster that already has one is a 400 client error (an invented code)."""
    pair = simulator.pair(TEST_DR_ID)
    spec = CreateDisasterRecovery(
        name="dup", dr_type="az", primary_cluster_id=pair.primary_cluster_id,
        standby_cluster_id=simulator.add_cluster(TEST_PROJECT_ID, "spare").id, dr_sync_period="1H",
    )  # fmt: skip
    with pytest.raises(ClientRequestException) as info:
        sdk.create_disaster_recovery(
            CreateDisasterRecoveryRequest(body=CreateDisasterRecoveryReq(disaster_recovery=spec))
        )
    assert (info.value.status_code, info.value.error_code) == (400, "DWS.10114")


def test_clusters_of_a_deleted_task_can_be_paired_again(sdk: DwsClient, simulator: Simulator) -> None:
    """After delete completes, the same two clusters can be put into a new DR task."""
    pair = simulator.pair(TEST_DR_ID)
    sdk.delete_disaster_recovery(DeleteDisasterRecoveryRequest(disaster_recovery_id=TEST_DR_ID))
    simulator.advance(2)
    spec = CreateDisasterRecovery(
        name="again", dr_type="az", primary_cluster_id=pair.primary_cluster_id,
        standby_cluster_id=pair.standby_cluster_id, dr_sync_period="1H",
    )  # fmt: skip
    created = sdk.create_disaster_recovery(
        CreateDisasterRecoveryRequest(body=CreateDisasterRecoveryReq(disaster_recovery=spec))
    )
    assert created.disaster_recovery.id != TEST_DR_ID


def test_check_name(sdk: DwsClient) -> None:
    """check-name answers 200 for a free name and a 400 client error (an invented code) for a taken one."""
    sdk.check_disaster_name(CheckDisasterNameRequest(dr_name="brand-new", type="az"))
    with pytest.raises(ClientRequestException) as info:
        sdk.check_disaster_name(CheckDisasterNameRequest(dr_name="sales-dw", type="az"))
    assert (info.value.status_code, info.value.error_code) == (400, "DWS.10115")


def test_available_disaster_clusters(sdk: DwsClient, simulator: Simulator) -> None:
    """disaster-recovery-clusters lists AVAILABLE clusters outside any DR task, minus the given primary."""
    spare = simulator.add_cluster(TEST_PROJECT_ID, "spare")
    other = simulator.add_cluster(TEST_PROJECT_ID, "other")
    resp = sdk.list_available_disaster_clusters(
        ListAvailableDisasterClustersRequest(primary_cluster_id=other.id)
    )
    assert [(c.id, c.name) for c in resp.disaster_recovery_clusters] == [(spare.id, "spare")]
