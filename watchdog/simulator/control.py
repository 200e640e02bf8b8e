"""The `/_sim/` control endpoint: JSON, unsigned, loopback callers only (documented in docs/simulator.md).

It drives the simulator from outside the process (game days, `dr-watchdog simulate`, e2e tests that run
the daemon as a subprocess): inspect state, calls and requests; inject and clear faults; fail and
recover clusters; stall sync; move the virtual clock.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qs

from watchdog.simulator.core import Simulator
from watchdog.simulator.faults import Fault, FaultKind
from watchdog.simulator.model import ClusterState, FailoverOutcome, Operation
from watchdog.simulator.records import as_json

CONTROL_PREFIX = "/_sim/"
Result = tuple[int, Any]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle_control(sim: Simulator, method: str, parts: SplitResult, raw: bytes, client: str) -> Result:
    """Answer one control request; every error is {"error_code": "SIM.xxx", "error_msg": ...}."""
    try:
        if not ipaddress.ip_address(client).is_loopback:
            raise ControlError(403, "the control endpoint answers loopback callers only")
        body = _json(raw)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [s for s in parts.path[len(CONTROL_PREFIX) :].split("/") if s]
        return _route(sim, method, segments, body, query)
    except ControlError as exc:
        return exc.status, {"error_code": f"SIM.{exc.status}", "error_msg": str(exc)}
    except (ValueError, TypeError) as exc:
        return 400, {"error_code": "SIM.400", "error_msg": str(exc)}
    except KeyError as exc:
        return 404, {"error_code": "SIM.404", "error_msg": f"not found: {exc.args[0]}"}


def _json(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ControlError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _route(
    sim: Simulator, method: str, seg: list[str], body: dict[str, Any], query: dict[str, str]
) -> Result:
    key = (method, seg[0] if seg else "", len(seg))
    handler = _TABLE.get(key)
    if handler is None:
        raise ControlError(404, f"no control route {method} {CONTROL_PREFIX}{'/'.join(seg)}")
    return handler(sim, seg, body, query)


def _state(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    return 200, sim.snapshot()


def _calls(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    op = Operation(query["operation"]) if "operation" in query else None
    calls = sim.action_calls(op, query.get("dr_id"))
    return 200, {"calls": [as_json(c) for c in calls]}


def _requests(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    records = sim.requests(query.get("operation"), query.get("project_id"), int(query.get("since", "0")))
    shown = [as_json(r) for r in records[-1000:]]
    return 200, {"count": len(records), "last_seq": sim.request_seq(), "requests": shown}


def _faults_list(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    return 200, {"faults": [f.describe() for f in sim.faults.active(sim.now())]}


def _faults_add(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    return 200, sim.inject(Fault.from_mapping(body)).describe()


def _faults_clear(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    return 200, {"cleared": sim.clear_faults(int(seg[1]) if len(seg) > 1 else None)}


def _unreachable(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    fault = sim.unreachable(body.get("for_seconds"), FaultKind(body.get("kind", "reset")))
    return 200, fault.describe()


def _cluster(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    cluster_id, verb = seg[1], seg[2]
    if cluster_id not in sim.clusters:
        raise KeyError(cluster_id)
    if verb == "fail":
        sim.fail_cluster(
            cluster_id,
            sub_status=body.get("sub_status"),
            reason=body.get("reason", "Cluster nodes are unreachable (simulated)."),
            nodes_down=int(body.get("nodes_down", 1)),
            state=ClusterState(body.get("state", "FAILED")),
        )
    elif verb == "recover":
        sim.recover_cluster(cluster_id)
    elif verb == "sub-status":
        sim.set_sub_status(cluster_id, str(body["sub_status"]))
    else:
        raise ControlError(404, f"unknown cluster verb {verb!r}")
    return 200, {"cluster": cluster_id, "done": verb}


def _pair(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    dr_id, verb = seg[1], seg[2]
    if dr_id not in sim.pairs:
        raise KeyError(dr_id)
    verbs: dict[str, Callable[[], None]] = {
        "stall": lambda: sim.stall_sync(dr_id),
        "resume-sync": lambda: sim.resume_sync(dr_id),
        "failover-outcome": lambda: sim.set_failover_outcome(dr_id, FailoverOutcome(body["outcome"])),
        "configure": lambda: sim.configure_pair(dr_id, **body),
    }
    if verb not in verbs:
        raise ControlError(404, f"unknown pair verb {verb!r}")
    verbs[verb]()
    return 200, {"disaster_recovery_id": dr_id, "done": verb}


def _pairs_add(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    options = dict(body)
    project = str(options.pop("project_id"))
    count = int(options.pop("count", 1))
    pairs = sim.add_pairs(project, count, str(options.pop("prefix", "bulk")), **options)
    return 200, {"pairs": [{"name": p.name, "disaster_recovery_id": p.disaster_recovery_id} for p in pairs]}


def _override(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    object_id = seg[1]
    if object_id not in sim.pairs and object_id not in sim.clusters:
        raise KeyError(object_id)
    sim.override(object_id, **body)
    return 200, {"id": object_id, "overrides": sim.renderer.overrides.get(object_id, {})}


def _clock(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    if seg[1] == "advance":
        sim.advance(float(body["seconds"]))
    elif seg[1] == "time-scale":
        sim.set_time_scale(float(body["time_scale"]))
    else:
        raise ControlError(404, f"unknown clock verb {seg[1]!r}")
    return 200, {"now": sim.now().isoformat(), "time_scale": sim.clock.time_scale}


def _region(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    """POST /_sim/regions/{region}/outage: the region's API and clusters down; DELETE: back."""
    if seg[2] != "outage":
        raise ControlError(404, f"no control route {CONTROL_PREFIX}{'/'.join(seg)}")
    if body.get("_method") == "DELETE":
        sim.end_region_outage(seg[1])
        return 200, {"region": seg[1], "outage": False}
    return 200, {"region": seg[1], "outage": True, "failed_clusters": sim.region_outage(seg[1])}


def _region_end(sim: Simulator, seg: list[str], body: dict[str, Any], query: dict[str, str]) -> Result:
    return _region(sim, seg, {"_method": "DELETE"}, query)


_TABLE: dict[
    tuple[str, str, int], Callable[[Simulator, list[str], dict[str, Any], dict[str, str]], Result]
] = {
    ("GET", "state", 1): _state,
    ("GET", "calls", 1): _calls,
    ("GET", "requests", 1): _requests,
    ("GET", "faults", 1): _faults_list,
    ("POST", "faults", 1): _faults_add,
    ("DELETE", "faults", 1): _faults_clear,
    ("DELETE", "faults", 2): _faults_clear,
    ("POST", "unreachable", 1): _unreachable,
    ("POST", "regions", 3): _region,
    ("DELETE", "regions", 3): _region_end,
    ("POST", "clusters", 3): _cluster,
    ("POST", "pairs", 3): _pair,
    ("POST", "pairs", 1): _pairs_add,
    ("POST", "clock", 2): _clock,
    ("POST", "overrides", 2): _override,
    ("DELETE", "overrides", 2): _override,
}
