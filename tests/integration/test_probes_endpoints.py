"""Probing through named endpoints (issue 12): one daemon's prober over pairs in 50 projects in 3
regions, each region a listener of one simulator; requests per round are (endpoint, project)
combinations times the two list calls, counted in the simulator's request log; a cross-region
pair is observed through both endpoints, and production's endpoint unreachable is UNKNOWN for
production's cluster with a `production_api` DOWN beside it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest

from watchdog.clock import SystemClock
from watchdog.model import Observation, SignalSource, Verdict
from watchdog.settings import Settings
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.verdict import production_verdict
from watchdog.wiring import build_clients, build_prober

REGIONS = ("cn-north-4", "cn-east-3", "ap-southeast-1")
PROJECTS = 50
LISTS = ("list_disaster_recover", "list_clusters")


def project(k: int) -> str:
    return f"{k + 1:032x}"


def region_of(k: int) -> str:
    return REGIONS[k % len(REGIONS)]


@pytest.fixture
def world() -> Iterator[tuple[Simulator, dict[str, str]]]:
    """50 projects round-robin over 3 regions, one AK each; pair k: production in project k, DR in
    project k+1 (another region); the three regions served by three listeners of one world."""
    sim = Simulator(seed=12)
    for k in range(PROJECTS):
        sim.add_credentials(f"AKPROJECT{k:011d}", f"sk-project-{k:030d}", project(k))
    for k in range(PROJECTS):
        nxt = (k + 1) % PROJECTS
        pair = sim.add_pair(
            project(k), f"dw-{k}", dr_type="region", standby_project_id=project(nxt),
            standby_region=region_of(nxt), sync_interval_seconds=30,
        )  # fmt: skip
        sim.clusters[pair.primary_cluster_id].region = region_of(k)
    with ExitStack() as stack:
        urls = {r: stack.enter_context(SimulatorServer(sim, region=r)).url for r in REGIONS}
        yield sim, urls


def settings_for(sim: Simulator, urls: dict[str, str]) -> Settings:
    endpoints: dict[str, Any] = {
        f"p{k}": {
            "region": region_of(k),
            "endpoint": urls[region_of(k)],
            "project_id": project(k),
            "access_key": f"AKPROJECT{k:011d}",
            "secret_key": f"sk-project-{k:030d}",
        }
        for k in range(PROJECTS)
    }
    pairs = [
        {
            "name": p.name,
            "disaster_recovery_id": p.disaster_recovery_id,
            "production": f"p{k}",
            "dr": f"p{(k + 1) % PROJECTS}",
        }
        for k, p in enumerate(sim.pairs.values())
    ]
    cloud: dict[str, Any] = {"region": "cn-north-4", "project_id": project(0), "access_key": "unused"}
    cloud |= {"secret_key": "x", "timeout_seconds": 2}
    data = {"cloud": cloud, "endpoints": endpoints, "pairs": pairs, "policy": {"probe_interval_seconds": 5}}
    return Settings.model_validate(data)


def rounds(
    settings: Settings, count: int, between: Any = None, took: list[float] | None = None
) -> list[dict[str, Observation]]:
    async def go() -> list[dict[str, Observation]]:
        clock = SystemClock()
        async with build_clients(settings, None, clock) as clients:
            prober = build_prober(settings, clients, clock)
            out = []
            for i in range(count):
                if between is not None and i:
                    between()
                began = time.monotonic()
                out.append(await prober.probe_round(datetime.now(UTC)))
                if took is not None:
                    took.append(time.monotonic() - began)
            return out

    return asyncio.run(go())


def test_fifty_projects_over_three_regions_cost_two_lists_per_endpoint(
    world: tuple[Simulator, dict[str, str]],
) -> None:
    """Every pair healthy and seen through both its endpoints; each round costs exactly 50 (endpoint,
    project) combinations x 2 list calls = 100 requests, each combination listed once per list, each
    through its own region's listener; no per-pair call."""
    sim, urls = world
    settings = settings_for(sim, urls)
    mark = sim.request_seq()
    results = rounds(settings, 2)
    log = sim.requests(since_seq=mark)
    assert len(log) == 2 * PROJECTS * len(LISTS)
    per = Counter((r.region, r.project_id, r.operation) for r in log)
    expected = {(region_of(k), project(k), op): 2 for k in range(PROJECTS) for op in LISTS}
    assert per == expected
    for observations in results:
        assert len(observations) == PROJECTS
        for obs in observations.values():
            assert production_verdict(obs.signals) is Verdict.UP, obs.signals
            kinds = {s.source: s.verdict for s in obs.signals}
            assert kinds[SignalSource.DR_CLUSTER] is Verdict.UP
            assert kinds[SignalSource.PRODUCTION_API] is Verdict.UP


def test_production_region_down_is_unknown_with_the_dr_side_still_seen(
    world: tuple[Simulator, dict[str, str]],
) -> None:
    """cn-north-4's listener resets every request: its pairs' production clusters are UNKNOWN (never
    DOWN) with production_api DOWN; their DR side (another region) is read as before; pairs whose
    production is elsewhere stay UP."""
    sim, urls = world
    settings = settings_for(sim, urls)
    sim.inject(kind="reset", region="cn-north-4")
    (observations,) = rounds(settings, 1)
    for k, obs in enumerate(observations.values()):
        kinds = {s.source: s.verdict for s in obs.signals}
        if region_of(k) == "cn-north-4":
            assert kinds[SignalSource.PRODUCTION_CLUSTER] is Verdict.UNKNOWN
            assert kinds[SignalSource.PRODUCTION_API] is Verdict.DOWN
            assert kinds[SignalSource.DR_CLUSTER] is Verdict.UP
            assert production_verdict(obs.signals) is Verdict.UNKNOWN
        elif region_of((k + 1) % PROJECTS) != "cn-north-4":
            assert production_verdict(obs.signals) is Verdict.UP


def test_a_hung_production_region_is_unreachable_and_the_round_still_ends_in_time(
    world: tuple[Simulator, dict[str, str]],
) -> None:
    """cn-north-4's listener accepts and never answers: within the probe timeout its pairs get
    production_api DOWN (not answered in time) beside their DR side read as usual, and the pairs
    whose DR task is read through cn-north-4 are UNKNOWN, never DOWN."""
    sim, urls = world
    settings = settings_for(sim, urls)
    sim.inject(kind="hang", region="cn-north-4", seconds=30)
    took: list[float] = []
    (observations,) = rounds(settings, 1, took=took)
    sim.clear_faults()
    assert took[0] < settings.policy.probe_interval_seconds  # the probe timeout is 90 % of it
    for k, obs in enumerate(observations.values()):
        kinds = {s.source: s.verdict for s in obs.signals}
        assert production_verdict(obs.signals) is not Verdict.DOWN
        if region_of(k) == "cn-north-4":
            assert kinds[SignalSource.PRODUCTION_API] is Verdict.DOWN
            assert kinds[SignalSource.DR_CLUSTER] is Verdict.UP
