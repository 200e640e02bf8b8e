"""Routing and dispatch of the simulated DWS API, independent of the HTTP plumbing.

`process()` takes one parsed request and returns what to answer, plus the fault (if any) that should
make the answer misbehave. Paths are exactly those of dws-api.md section 1, with their mixed
v1 / v1.0 / v2 prefixes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchdog.simulator import actions
from watchdog.simulator.auth import authenticate
from watchdog.simulator.core import Simulator
from watchdog.simulator.create import available_clusters, check_name, create_pair
from watchdog.simulator.faults import Fault, FaultKind
from watchdog.simulator.model import UUID_PATTERN as _UUID
from watchdog.simulator.model import Operation
from watchdog.simulator.pair import Rejected, SimPair

_P = r"(?P<project>[^/]+)"
_DR = r"(?P<dr>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Operation]] = [
    ("GET", re.compile(rf"^/v2/{_P}/disaster-recoveries$"), Operation.LIST_DISASTER_RECOVER),
    ("POST", re.compile(rf"^/v2/{_P}/disaster-recoveries$"), Operation.CREATE_DISASTER_RECOVERY),
    ("GET", re.compile(rf"^/v2/{_P}/disaster-recovery/check-name$"), Operation.CHECK_DISASTER_NAME),
    (
        "GET",
        re.compile(rf"^/v2/{_P}/disaster-recovery-clusters$"),
        Operation.LIST_AVAILABLE_DISASTER_CLUSTERS,
    ),
    ("GET", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}$"), Operation.SHOW_DISASTER_DETAIL),
    ("PUT", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}$"), Operation.UPDATE_DISASTER_INFO),
    ("DELETE", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}$"), Operation.DELETE_DISASTER_RECOVERY),
    (
        "GET",
        re.compile(rf"^/v1/{_P}/disaster-recovery/{_DR}/show-progress$"),
        Operation.SHOW_DISASTER_PROGRESS,
    ),
    ("POST", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}/failover$"), Operation.SWITCH_FAILOVER_DISASTER),
    (
        "POST",
        re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}/switchover$"),
        Operation.SWITCHOVER_DISASTER_RECOVERY,
    ),
    ("POST", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}/recovery$"), Operation.RESTORE_DISASTER),
    ("POST", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}/start$"), Operation.START_DISASTER_RECOVERY),
    ("POST", re.compile(rf"^/v2/{_P}/disaster-recovery/{_DR}/pause$"), Operation.PAUSE_DISASTER_RECOVERY),
    ("GET", re.compile(rf"^/v1\.0/{_P}/clusters/(?P<cluster>[^/]+)$"), Operation.LIST_CLUSTER_DETAILS),
    ("GET", re.compile(rf"^/v1\.0/{_P}/clusters$"), Operation.LIST_CLUSTERS),
    ("GET", re.compile(rf"^/v2/{_P}/clusters$"), Operation.SHOW_CLUSTERS),
]
UNKNOWN_ROUTE = "unknown_route"


@dataclass
class ApiRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    request_id: str
    region: str | None = None  # the listener's region label (cross-region set-ups)


@dataclass
class ApiResponse:
    """What to answer. `fault` set: misbehave instead (after applying the request if `fault.apply`)."""

    status: int
    payload: Any = None
    operation: str = UNKNOWN_ROUTE
    project_id: str | None = None
    fault: Fault | None = None


def error(code: str, msg: str) -> dict[str, str]:
    """The error body shared by DWS and the API gateway."""
    return {"error_code": code, "error_msg": msg}


def route(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for verb, pattern, operation in ROUTES:
        match = pattern.match(path)
        if match and verb == method:
            return operation, match.groupdict()
    return None


def process(sim: Simulator, req: ApiRequest) -> ApiResponse:
    """Route, authenticate, apply faults and dispatch one API request."""
    found = route(req.method, req.path)
    if found is None:
        body = error("APIGW.0101", "The API does not exist or has not been published in the environment.")
        return ApiResponse(404, body)
    operation, params = found
    resp = ApiResponse(0, operation=operation.value, project_id=params["project"])
    try:
        with sim.lock:
            project = authenticate(
                sim.credentials, sim.tokens, method=req.method, path=req.path, query=req.query,
                headers=req.headers, body=req.body or None, wall_now=datetime.now(UTC), lockout=sim.lockout,
            )  # fmt: skip
        _check_project(project, params["project"], req.headers)
    except Rejected as exc:
        resp.status, resp.payload = exc.status, error(exc.error_code, exc.error_msg)
        return resp
    sim.tick()
    fault = sim.faults.match(operation.value, params["project"], sim.now(), req.region)
    if fault is not None and fault.kind is FaultKind.LATENCY:
        time.sleep(fault.seconds)
        fault = None
    if fault is not None and not fault.apply:
        resp.fault = fault
        return resp
    resp.status, resp.payload = dispatch(sim, operation, params, req)
    resp.fault = fault
    return resp


def _check_project(project: str, path_project: str, headers: dict[str, str]) -> None:
    header_project = next((v for k, v in headers.items() if k.lower() == "x-project-id"), None)
    if path_project != project or (header_project is not None and header_project != project):
        raise Rejected(403, "APIGW.0302", "The IAM user is not authorized to access the API in this project.")


@dataclass(frozen=True)
class _Call:
    """One authenticated request being answered, with the virtual time it is answered at."""

    sim: Simulator
    operation: Operation
    params: dict[str, str]
    req: ApiRequest
    now: datetime

    @property
    def project(self) -> str:
        return self.params["project"]

    @property
    def query(self) -> dict[str, str]:
        return dict(self.req.query)

    def pair(self) -> SimPair:
        return _pair(self.sim, self.project, self.params["dr"], self.now)


Reply = tuple[int, Any]


def dispatch(sim: Simulator, operation: Operation, params: dict[str, str], req: ApiRequest) -> Reply:
    """Answer an authenticated request from the simulator state, under its lock."""
    with sim.lock:
        call = _Call(sim, operation, params, req, sim.tick())
        try:
            return _HANDLERS.get(operation, _act)(call)
        except Rejected as exc:
            return exc.status, error(exc.error_code, exc.error_msg)


def _list_dr(c: _Call) -> Reply:
    return 200, {"disaster_recovery": _list(c.sim, c.project, c.query, c.now)}


def _list_clusters(c: _Call) -> Reply:
    items = [c.sim.renderer.cluster_info(cluster, c.now) for cluster in _clusters(c.sim, c.project, c.now)]
    return 200, {"clusters": items, "count": len(items)}


def _cluster_detail(c: _Call) -> Reply:
    cluster = _cluster(c.sim, c.project, c.params["cluster"], c.now)
    return 200, {"cluster": c.sim.renderer.cluster_detail(cluster, c.now)}


def _dr_detail(c: _Call) -> Reply:
    return 200, {"disaster_recovery": c.sim.renderer.dr_detail(c.pair(), c.now)}


def _dr_progress(c: _Call) -> Reply:
    return 200, {"disaster_recovery_progress": c.sim.renderer.dr_progress(c.pair(), c.now)}


def _check_name(c: _Call) -> Reply:
    check_name(c.sim, c.project, c.query.get("dr_name", ""), c.now)
    return 200, {}


def _available(c: _Call) -> Reply:
    free = available_clusters(c.sim, c.project, c.query.get("primary_cluster_id"), c.now)
    return 200, {"disaster_recovery_clusters": free}


def _create(c: _Call) -> Reply:
    created = create_pair(c.sim, c.project, _wrapped_body(c.req.body), c.now)
    c.sim.record_call(c.operation, created, c.req.request_id)
    return 200, {"disaster_recovery": {"id": created.disaster_recovery_id}}


def _act(c: _Call) -> Reply:
    """Every action on an existing task: validated now, effects scheduled, answered at once."""
    pair = c.pair()
    body = _wrapped_body(c.req.body) if c.operation is Operation.UPDATE_DISASTER_INFO else None
    actions.perform(pair, c.operation, c.now, body)
    c.sim.record_call(c.operation, pair, c.req.request_id)
    if c.operation is Operation.DELETE_DISASTER_RECOVERY:
        return 200, None
    return 200, {"disaster_recovery": {"id": pair.disaster_recovery_id}}


_HANDLERS: dict[Operation, Callable[[_Call], Reply]] = {
    Operation.LIST_DISASTER_RECOVER: _list_dr,
    Operation.LIST_CLUSTERS: _list_clusters,
    Operation.SHOW_CLUSTERS: _list_clusters,
    Operation.LIST_CLUSTER_DETAILS: _cluster_detail,
    Operation.SHOW_DISASTER_DETAIL: _dr_detail,
    Operation.SHOW_DISASTER_PROGRESS: _dr_progress,
    Operation.CHECK_DISASTER_NAME: _check_name,
    Operation.LIST_AVAILABLE_DISASTER_CLUSTERS: _available,
    Operation.CREATE_DISASTER_RECOVERY: _create,
}


def _wrapped_body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise Rejected(400, "DWS.5065", "The request body is not valid JSON.") from None
    inner = data.get("disaster_recovery") if isinstance(data, dict) else None
    if not isinstance(inner, dict):
        raise Rejected(400, "DWS.5037", "disaster_recovery: the parameter does not exist.")
    return inner


def _list(sim: Simulator, project: str, filters: dict[str, str], now: datetime) -> list[dict[str, Any]]:
    items = []
    for pair in sim.project_pairs(project):
        pair.advance(now)
        if pair.gone:
            continue
        item = sim.renderer.dr_list_item(pair, now)
        if all(
            item.get(key) == filters[key]
            for key in ("id", "primary_cluster_id", "standby_cluster_id")
            if key in filters
        ):
            items.append(item)
    return items


def _clusters(sim: Simulator, project: str, now: datetime) -> list[Any]:
    clusters = sim.project_clusters(project)
    for cluster in clusters:
        owner = sim.pair_of_cluster(cluster.id)
        if owner is not None:
            owner.advance(now)
    return clusters


def _pair(sim: Simulator, project: str, dr_id: str, now: datetime) -> SimPair:
    if not _UUID.match(dr_id):
        raise Rejected(400, "DWS.0001", f"Invalid disaster recovery ID: {dr_id[:64]}")
    pair = sim.pairs.get(dr_id)
    if pair is not None:
        pair.advance(now)
    if pair is None or project not in {c.project_id for c in pair.clusters} or pair.gone:
        raise Rejected(400, "DWS.10101", "The disaster recovery task does not exist.")
    return pair


def _cluster(sim: Simulator, project: str, cluster_id: str, now: datetime) -> Any:
    if not _UUID.match(cluster_id):
        raise Rejected(400, "DWS.0001", f"Invalid cluster ID: {cluster_id[:64]}")
    cluster = sim.clusters.get(cluster_id)
    if cluster is None or cluster.project_id != project:
        raise Rejected(404, "DWS.0047", "The cluster does not exist.")
    owner = sim.pair_of_cluster(cluster_id)
    if owner is not None:
        owner.advance(now)
    return cluster
