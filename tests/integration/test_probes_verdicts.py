"""Verdict rules for answers the simulator cannot produce (a deleted cluster, other spellings, new values),
served at the client's transport seam (httpx.MockTransport); the Prober and client run unpatched."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchdog.clock import FakeClock
from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.dws.models import DisasterRecovery
from watchdog.dws.signing import Credentials
from watchdog.model import (
    Action,
    Mode,
    Observation,
    PairState,
    Policy,
    ReasonCode,
    SignalSource,
    State,
    Verdict,
)
from watchdog.policy import evaluate, production_verdict
from watchdog.probes import Prober, task_view

PROJECT = "0123456789abcdef0123456789abcdef"
DR, PROD, STBY = "dr-1", "prod-1", "stby-1"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LIST_ITEM = {
    "id": DR,
    "name": "sales",
    "status": "running",
    "primary_cluster_id": PROD,
    "standby_cluster_id": STBY,
    "primary_cluster_role": "primary",
    "standby_cluster_role": "standby",
    "primary_cluster_status": "waiting",
    "standby_cluster_status": "waiting",
    "last_disaster_time": "2026-01-01T11:55:00Z",
}
DETAIL = {
    "id": DR,
    "name": "sales",
    "status": "running",
    "dr_sync_period": "5m",
    "primary_cluster": {
        "id": PROD,
        "role": "primary",
        "status": "waiting",
        "last_success_time": "2026-01-01 11:58:00",
    },
    "standby_cluster": {
        "id": STBY,
        "role": "standby",
        "status": "waiting",
        "last_success_time": "2026-01-01T11:57:00Z",
    },
}


def cluster(cid: str, status: str = "AVAILABLE", **extra: Any) -> dict[str, Any]:
    return {"id": cid, "name": cid, "status": status, "sub_status": "NORMAL", "version": "8.2.1.220", **extra}


class FakeApi:
    """Answers the five read routes from editable JSON; records each path it served."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = [copy.deepcopy(LIST_ITEM)]
        self.clusters: dict[str, dict[str, Any]] = {PROD: cluster(PROD), STBY: cluster(STBY)}
        self.listed: set[str] = {PROD, STBY}
        self.detail: dict[str, Any] = copy.deepcopy(DETAIL)
        self.paths: list[str] = []
        self.progress: dict[str, Any] = {"recovery_point_object": 120}
        self.failing: set[str] = set()  # path suffixes answered with a 500
        self.missing = httpx.Response(
            404, json={"error_code": "DWS.0047", "error_msg": "The cluster does not exist."}
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if any(path.endswith(suffix) for suffix in self.failing):
            return httpx.Response(500, json={"error_code": "DWS.9999", "error_msg": "injected"})
        if path.endswith("/disaster-recoveries"):
            return httpx.Response(200, json={"disaster_recovery": self.items})
        if path.endswith("/show-progress"):
            return httpx.Response(200, json={"disaster_recovery_progress": self.progress})
        if "/disaster-recovery/" in path:
            return httpx.Response(200, json={"disaster_recovery": self.detail})
        if path.endswith("/clusters"):
            return httpx.Response(200, json={"clusters": [self.clusters[c] for c in sorted(self.listed)]})
        cid = path.rsplit("/", 1)[1]
        if cid in self.clusters:
            return httpx.Response(200, json={"cluster": self.clusters[cid]})
        return self.missing

    def observe(self) -> Observation:
        async def go() -> Observation:
            transport = httpx.MockTransport(self)
            retry = RetryPolicy(attempts=1)
            async with DwsClient("https://dws.test", PROJECT, Credentials("AK", "SK"), transport=transport,
                                 clock=FakeClock(NOW), retry=retry) as client:  # fmt: skip
                return (await Prober({PROJECT: client}, [("sales", PROJECT, DR)]).probe_round(NOW))["sales"]

        return asyncio.run(go())


def verdict(obs: Observation, source: SignalSource) -> Verdict:
    return next(s.verdict for s in obs.signals if s.source is source)


def test_healthy_lists_need_no_detail() -> None:
    """When the lists settle the pair, exactly two calls are made and the list's last sync is used."""
    api = FakeApi()
    obs = api.observe()
    assert len(api.paths) == 2
    assert obs.last_sync == datetime(2026, 1, 1, 11, 55, tzinfo=UTC) and obs.last_sync_known
    assert obs.last_sync_source == "list last_disaster_time"
    assert verdict(obs, SignalSource.PRODUCTION_CLUSTER) is Verdict.UP


def test_missing_last_sync_in_list_fetches_the_detail() -> None:
    """A list item without last_disaster_time sends us to the detail: the standby's last_success_time
    (production's newer 11:58 is what production backed up, not what the standby restored)."""
    api = FakeApi()
    del api.items[0]["last_disaster_time"]
    obs = api.observe()
    assert any(p.endswith(f"/disaster-recovery/{DR}") for p in api.paths)
    assert obs.last_sync == datetime(2026, 1, 1, 11, 57, tzinfo=UTC)
    assert obs.last_sync_source == "standby last_success_time"
    assert obs.rpo_seconds == 120.0 and obs.dr_task is not None and obs.dr_task.dr_sync_period == "5m"


def test_never_synced_is_known_none() -> None:
    """Empty last-sync fields everywhere mean "never synced": last_sync None but known."""
    api = FakeApi()
    api.items[0]["last_disaster_time"] = ""
    api.detail["primary_cluster"]["last_success_time"] = None
    api.detail["standby_cluster"]["last_success_time"] = ""
    obs = api.observe()
    assert obs.last_sync is None and obs.last_sync_known


def test_deleted_production_cluster_is_down() -> None:
    """Production missing from the list and 404 on its detail: deleted, which is positive evidence."""
    api = FakeApi()
    api.listed.discard(PROD)
    del api.clusters[PROD]
    obs = api.observe()
    signal = next(s for s in obs.signals if s.source is SignalSource.PRODUCTION_CLUSTER)
    assert signal.verdict is Verdict.DOWN and "deleted" in signal.detail and "DWS.0047" in signal.detail
    assert production_verdict(obs.signals) is Verdict.DOWN


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, json={"error_code": "APIGW.0101", "error_msg": "The API does not exist."}),
        httpx.Response(404, text="<html><body><h1>404 Not Found</h1>nginx</body></html>"),
        httpx.Response(404, json={"error_code": "DWS.5037", "error_msg": "parameter does not exist"}),
        httpx.Response(400, json={"error_code": "DWS.10101", "error_msg": "DR task does not exist"}),
    ],
    ids=["gateway-APIGW.0101", "proxy-html", "other-code", "dr-code-on-cluster"],
)
def test_a_404_that_is_not_dws_cluster_gone_is_unknown(answer: httpx.Response) -> None:
    """Production missing from the list and its detail read answering a 404 that is not DWS.0047:
    UNKNOWN with the answer's text, never "deleted"."""
    api = FakeApi()
    api.listed.discard(PROD)
    del api.clusters[PROD]
    api.missing = answer
    obs = api.observe()
    signal = next(s for s in obs.signals if s.source is SignalSource.PRODUCTION_CLUSTER)
    assert signal.verdict is Verdict.UNKNOWN and signal.error is not None
    assert f"HTTP {answer.status_code}" in signal.error and "deleted" not in signal.detail
    assert production_verdict(obs.signals) is not Verdict.DOWN


def test_cluster_missing_from_list_but_present_is_read_from_its_detail() -> None:
    """A list that lags (cluster not in it yet) is completed by the cluster detail, not taken as deletion."""
    api = FakeApi()
    api.listed.discard(PROD)
    obs = api.observe()
    assert verdict(obs, SignalSource.PRODUCTION_CLUSTER) is Verdict.UP
    assert any(p.endswith(f"/clusters/{PROD}") for p in api.paths)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ACTIVE", Verdict.UP),
        ("AVAILABLE", Verdict.UP),
        ("UNAVAILABLE", Verdict.DOWN),
        ("FAILED", Verdict.DOWN),
        ("DELETED", Verdict.DOWN),
        ("FROZEN", Verdict.UNKNOWN),
        ("CREATING", Verdict.UNKNOWN),
        ("HIBERNATING", Verdict.UNKNOWN),
    ],
)
def test_production_status_spellings(status: str, expected: Verdict) -> None:
    """Both spellings of available and of failed are read; FROZEN or a new value is no evidence."""
    api = FakeApi()
    api.clusters[PROD] = cluster(PROD, status, failed_reasons={"error_code": "E", "error_msg": "node lost"})
    obs = api.observe()
    assert verdict(obs, SignalSource.PRODUCTION_CLUSTER) is expected
    assert obs.production is not None and obs.production.status == status


def test_unexpected_status_value_carries_an_error() -> None:
    """A status the API never documented is UNKNOWN with an error naming the value."""
    api = FakeApi()
    api.clusters[PROD] = cluster(PROD, "HIBERNATING")
    signal = next(s for s in api.observe().signals if s.source is SignalSource.PRODUCTION_CLUSTER)
    assert signal.error is not None and "HIBERNATING" in signal.error


@pytest.mark.parametrize(
    ("task", "side", "expected"),
    [
        ("abnormal", "abnormal", Verdict.DOWN),
        ("abnormal", "stopped", Verdict.UNKNOWN),
        ("running", "abnormal", Verdict.UNKNOWN),
        ("running", "backuping", Verdict.UNKNOWN),
        ("teleporting", "waiting", Verdict.UNKNOWN),
    ],
)
def test_dr_task_is_down_only_when_abnormal_on_the_production_side(
    task: str, side: str, expected: Verdict
) -> None:
    """Only an abnormal task with production's side abnormal is DOWN; anything else is no evidence."""
    api = FakeApi()
    api.items[0].update(status=task, primary_cluster_status=side)
    api.detail.update(status=task)
    api.detail["primary_cluster"]["status"] = side
    assert verdict(api.observe(), SignalSource.DR_TASK) is expected


def test_detail_roles_win_over_the_list() -> None:
    """During a switch the role-based detail decides which cluster is production."""
    api = FakeApi()
    api.items[0]["status"] = "switchovering"
    api.detail["status"] = "switchovering"
    api.detail["primary_cluster"], api.detail["standby_cluster"] = (
        {**api.detail["standby_cluster"], "role": "primary"},
        {**api.detail["primary_cluster"], "role": "standby"},
    )
    obs = api.observe()
    assert obs.dr_task is not None and obs.dr_task.primary_cluster_id == STBY
    assert obs.production is not None and obs.production.id == STBY


def test_degraded_and_task_are_noted_beside_up() -> None:
    """READONLY | UNBALANCED and a running task are in the detail text; the verdict stays UP."""
    api = FakeApi()
    api.clusters[PROD] = cluster(PROD, sub_status="UNBALANCED | READONLY", task_status="SNAPSHOTTING")
    signal = next(s for s in api.observe().signals if s.source is SignalSource.PRODUCTION_CLUSTER)
    assert signal.verdict is Verdict.UP
    assert "degraded: UNBALANCED | READONLY" in signal.detail and "SNAPSHOTTING" in signal.detail


class FlakyApi(FakeApi):
    """FakeApi whose cluster and DR lists may answer with an error status instead."""

    def __init__(self, list_status: int, cluster_status: int) -> None:
        super().__init__()
        self.list_status, self.cluster_status = list_status, cluster_status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        status = self.list_status if "disaster-recover" in path else self.cluster_status
        if status != 200:
            self.paths.append(path)
            return httpx.Response(status, json={"error_code": "X.1", "error_msg": "injected"})
        return super().__call__(request)


CLUSTER_VALUES = ["AVAILABLE", "ACTIVE", "FAILED", "UNAVAILABLE", "FROZEN", "CREATING", "DELETED", "", "x"]
TASK_VALUES = ["running", "abnormal", "switchovering", "stopped", "unstart", "", "new-state"]
SIDE_VALUES = ["waiting", "backuping", "restoring", "abnormal", "stopped", "drDeleted", "", "odd"]
STATUSES = [200, 200, 200, 400, 401, 404, 429, 500, 503]


@settings(max_examples=120, deadline=None)
@given(
    prod=st.one_of(st.sampled_from(CLUSTER_VALUES), st.text(max_size=8)),
    task=st.one_of(st.sampled_from(TASK_VALUES), st.text(max_size=8)),
    side=st.one_of(st.sampled_from(SIDE_VALUES), st.text(max_size=8)),
    list_status=st.sampled_from(STATUSES),
    cluster_status=st.sampled_from(STATUSES),
)
def test_down_only_on_positive_evidence(
    prod: str, task: str, side: str, list_status: int, cluster_status: int
) -> None:
    """Whatever the API says or fails to say, the round is DOWN only on a failed/deleted production
    cluster or an abnormal DR task with production's side abnormal, each actually read."""
    api = FlakyApi(list_status, cluster_status)
    api.clusters[PROD] = cluster(PROD, prod)
    api.items[0].update(status=task, primary_cluster_status=side)
    api.detail.update(status=task)
    api.detail["primary_cluster"]["status"] = side
    obs = api.observe()
    if production_verdict(obs.signals) is Verdict.DOWN:
        cluster_down = cluster_status == 200 and prod.strip().upper() in {"FAILED", "UNAVAILABLE", "DELETED"}
        task_down = (
            list_status == 200 and task.strip().lower() == "abnormal" and side.strip().lower() == "abnormal"
        )
        assert cluster_down or task_down
    if cluster_status != 200:
        assert verdict(obs, SignalSource.PRODUCTION_CLUSTER) is Verdict.UNKNOWN


def test_list_roles_name_production_when_fields_keep_creation_order() -> None:
    """If the list keeps creation order but its roles say swapped, production is the primary-role cluster."""
    api = FakeApi()
    api.items[0].update(primary_cluster_role="standby", standby_cluster_role="primary")
    api.detail["primary_cluster"], api.detail["standby_cluster"] = (
        {**api.detail["standby_cluster"], "role": "primary"},
        {**api.detail["primary_cluster"], "role": "standby"},
    )
    api.clusters[PROD] = cluster(PROD, "FAILED")  # the old production, now the standby
    obs = api.observe()
    assert obs.production is not None and obs.production.id == STBY
    assert verdict(obs, SignalSource.PRODUCTION_CLUSTER) is Verdict.UP
    assert verdict(obs, SignalSource.DR_CLUSTER) is Verdict.DOWN
    from_list = task_view(DisasterRecovery.model_validate(api.items[0]), None)
    assert from_list is not None and (from_list.primary_cluster_id, from_list.primary_role) == (
        STBY,
        "primary",
    )


def test_list_without_roles_is_oriented_by_the_detail() -> None:
    """A list item without role fields does not settle the pair: the detail is read and orients it."""
    api = FakeApi()
    del api.items[0]["primary_cluster_role"], api.items[0]["standby_cluster_role"]
    obs = api.observe()
    assert any(p.endswith(f"/disaster-recovery/{DR}") for p in api.paths)
    assert obs.dr_task is not None and obs.dr_task.primary_cluster_id == PROD
    assert verdict(obs, SignalSource.PRODUCTION_CLUSTER) is Verdict.UP


@pytest.mark.parametrize(
    ("roles", "production"),
    [
        (("primary", "standby"), PROD),
        (("PRIMARY", " Standby "), PROD),
        (("standby", "primary"), STBY),
        ((None, None), None),
        (("primary", None), None),
        (("master", "slave"), None),
        (("primary", "primary"), None),
        (("standby", "standby"), None),
    ],
)
def test_the_list_alone_orients_only_on_explicit_roles(
    roles: tuple[str | None, str | None], production: str | None
) -> None:
    """Without the detail, production comes from the list only when its roles say primary/standby."""
    item = {**LIST_ITEM, "primary_cluster_role": roles[0], "standby_cluster_role": roles[1]}
    task = task_view(DisasterRecovery.model_validate(item), None)
    assert (task.primary_cluster_id if task is not None else None) == production


def trouble() -> FakeApi:
    """Production FAILED (so the detail is read); production backed up at 11:58, the standby restored
    11:50 (space-separated, no zone: UTC), the newest barrier at 11:52."""
    api = FakeApi()
    api.clusters[PROD] = cluster(PROD, "FAILED")
    api.detail["primary_cluster"]["last_success_time"] = "2026-01-01T11:58:00Z"
    api.detail["standby_cluster"]["last_success_time"] = "2026-01-01 11:50:00"
    api.progress["latest_barrier_time"] = "2026-01-01T11:52:00Z"
    return api


@pytest.mark.parametrize(
    ("barrier", "expected", "source"),
    [
        ("2026-01-01T11:52:00Z", datetime(2026, 1, 1, 11, 50, tzinfo=UTC), "standby last_success_time"),
        ("2026-01-01T11:45:00Z", datetime(2026, 1, 1, 11, 45, tzinfo=UTC), "progress latest_barrier_time"),
        (None, datetime(2026, 1, 1, 11, 50, tzinfo=UTC), "standby last_success_time"),
    ],
)
def test_recoverable_point_is_the_oldest_standby_side_time(
    barrier: str | None, expected: datetime, source: str
) -> None:
    """A pair in trouble: the last sync is the oldest of the standby's last_success_time and the
    progress barrier, named; production's newer last_success_time is never used."""
    api = trouble()
    api.progress["latest_barrier_time"] = barrier
    obs = api.observe()
    assert (obs.last_sync, obs.last_sync_known, obs.last_sync_source) == (expected, True, source)


def test_data_loss_is_measured_to_the_standbys_recoverable_point() -> None:
    """Production down at 12:00, backed up at 11:58, but the standby restored only 11:50: the expected
    loss is 600 s (not 120 s), over a 300 s limit, and the reason names where the time came from."""
    obs = trouble().observe()
    policy = Policy(mode=Mode.AUTO, failure_threshold=1, min_outage_seconds=0.0, max_data_loss_seconds=300.0)
    decision = evaluate(obs, PairState(), policy, NOW).decision
    assert decision.expected_data_loss_seconds == 600.0
    assert decision.state is State.BLOCKED and decision.action is Action.NONE
    reason = decision.reason(ReasonCode.DATA_LOSS_EXCEEDED)
    assert reason is not None and "standby last_success_time" in reason.message


@pytest.mark.parametrize(
    ("failing", "known", "source"),
    [
        ({f"/disaster-recovery/{DR}"}, True, "progress latest_barrier_time"),
        ({f"/disaster-recovery/{DR}", "/show-progress"}, False, None),
    ],
    ids=["detail-fails", "detail-and-progress-fail"],
)
def test_a_pair_in_trouble_never_falls_back_to_the_list_time(
    failing: set[str], known: bool, source: str | None
) -> None:
    """When the detail cannot be read for a pair in trouble, the list's task-level last_disaster_time
    is not taken for the standby's recoverable point: the barrier if read, else unknown (blocks)."""
    api = trouble()
    api.failing = failing
    obs = api.observe()
    assert (obs.last_sync_known, obs.last_sync_source) == (known, source)
    assert obs.last_sync != datetime(2026, 1, 1, 11, 55, tzinfo=UTC)


def test_a_standby_side_without_a_time_is_unknown_when_production_synced() -> None:
    """The standby side gives no time while production's does: unknown (not "never synced")."""
    api = trouble()
    api.detail["standby_cluster"]["last_success_time"] = None
    api.progress["latest_barrier_time"] = None
    obs = api.observe()
    assert obs.last_sync is None and not obs.last_sync_known
