"""The probe round with evidence: the simulator over real HTTP for the control plane, a real
PostgreSQL server standing in for the SQL endpoints, the daemon's Runtime and metrics.

A pair with `data_plane` gets DATA_PLANE / DR_DATA_PLANE (and HEARTBEAT) signals with latency, the
canaries one CANARY signal in every observation, a probe that never succeeded is UNKNOWN and shows
in `data_plane_unproven`, and a hung (SIGSTOPped) endpoint costs the round no more than its deadline.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from tests.servers.postgres import PostgresServer
from watchdog.clock import SystemClock
from watchdog.journal import Journal
from watchdog.metrics import Metrics
from watchdog.model import Observation, Signal, SignalSource, Verdict
from watchdog.rounds import Runtime
from watchdog.settings import Settings
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    FAST_TIMING,
    TEST_ACCESS_KEY,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
)

T = TypeVar("T")
PLAIN = "plain-dw"  # a pair without data_plane: exactly as before, but for the canary
PASSWORD = "probe-password-0001"
DEADLINE = 0.5


def closed_port() -> str:
    """127.0.0.1:PORT where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def settings_for(url: str, tmp: Path, simulator: Simulator, address: str | None, **evidence: Any) -> Settings:
    """The test pair with a data plane (both clusters at `address`) plus PLAIN without one."""
    pair = simulator.pair(TEST_DR_ID)
    plain = simulator.add_pair(TEST_PROJECT_ID, PLAIN, **FAST_TIMING).disaster_recovery_id
    data_plane: dict[str, Any] = evidence.pop("data_plane", {})
    if address is not None:
        ids = (pair.primary_cluster_id, pair.standby_cluster_id)
        data_plane.setdefault("addresses", dict.fromkeys(ids, address))
    data: dict[str, Any] = {
        "cloud": {
            "endpoint": url,
            "project_id": TEST_PROJECT_ID,
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "timeout_seconds": 2,
        },
        "pairs": [
            {"name": TEST_PAIR_NAME, "disaster_recovery_id": TEST_DR_ID, "data_plane": data_plane},
            {"name": PLAIN, "disaster_recovery_id": plain},
        ],
        "policy": {"mode": "observe", "probe_interval_seconds": 5},
        "state": {"path": str(tmp / "state" / "watchdog.db")},
        "evidence": {"deadline_seconds": DEADLINE, **evidence},
    }
    return Settings(**data)


Body = Callable[[Runtime, Metrics], Awaitable[T]]


def run(settings: Settings, body: Body[T]) -> T:
    """`body` with a Runtime wired as the daemon wires it (its own registry), in one event loop."""

    async def go() -> T:
        metrics = Metrics(
            CollectorRegistry(), pairs=[p.name for p in settings.pairs], process_collectors=False
        )
        settings.state.path.parent.mkdir(parents=True, exist_ok=True)
        rt = Runtime(settings, SystemClock(), metrics, Journal(settings.state.path))
        try:
            return await body(rt, metrics)
        finally:
            await rt.close()

    return asyncio.run(go())


async def probe(rt: Runtime) -> dict[str, Observation]:
    return await rt.prober.probe_round(rt.clock.now())


def signal(obs: Observation, source: SignalSource) -> Signal:
    found = [s for s in obs.signals if s.source is source]
    assert len(found) == 1, obs.signals
    return found[0]


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_data_plane_signals_carry_latency(
    sim_server: SimulatorServer, simulator: Simulator, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """Both SQL endpoints answer: DATA_PLANE and DR_DATA_PLANE UP with latency, the control-plane
    signals timed too; the pair without data_plane has exactly the three control-plane signals."""
    settings = settings_for(sim_server.url, tmp_path, simulator, postgres_server.address)
    seen = run(settings, lambda rt, _: probe(rt))
    obs = seen[TEST_PAIR_NAME]
    for source in (SignalSource.DATA_PLANE, SignalSource.DR_DATA_PLANE):
        s = signal(obs, source)
        assert s.verdict is Verdict.UP, s
        assert s.latency_seconds is not None and 0 < s.latency_seconds < DEADLINE
    assert [s.source for s in obs.signals][:3] == [
        SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER,
    ]  # fmt: skip
    assert all(s.latency_seconds is not None and s.latency_seconds >= 0 for s in obs.signals[:3])
    plain = seen[PLAIN]
    assert [s.source for s in plain.signals] == [
        SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER,
    ]  # fmt: skip


def test_a_probe_that_never_succeeded_is_unknown_and_exported(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """A closed port since start: UNKNOWN (never proven, not DOWN), data_plane_unproven 1 per side."""
    settings = settings_for(sim_server.url, tmp_path, simulator, closed_port())

    async def body(rt: Runtime, metrics: Metrics) -> Observation:
        result = await rt.round()
        assert TEST_PAIR_NAME in result.decisions
        for side in ("production", "dr"):
            name = "dr_watchdog_data_plane_unproven"
            assert sample(metrics, name, pair=TEST_PAIR_NAME, side=side) == 1.0
        assert sample(metrics, "dr_watchdog_data_plane_unproven", pair=PLAIN, side="production") is None
        return (await probe(rt))[TEST_PAIR_NAME]

    obs = run(settings, body)
    production = signal(obs, SignalSource.DATA_PLANE)
    assert production.verdict is Verdict.UNKNOWN and "never" in production.detail


def test_proven_then_frozen_is_down_within_the_deadline(
    sim_server: SimulatorServer, simulator: Simulator, postgres: PostgresServer, tmp_path: Path
) -> None:
    """Once proven, a SIGSTOPped server (accepts nothing, answers nothing) is DOWN, and the round
    takes no longer than the control-plane reads plus about one deadline."""
    settings = settings_for(sim_server.url, tmp_path, simulator, postgres.address)

    async def body(rt: Runtime, metrics: Metrics) -> tuple[Observation, float, float]:
        await rt.round()
        assert sample(metrics, "dr_watchdog_data_plane_unproven", pair=TEST_PAIR_NAME, side="dr") == 0.0
        began = time.monotonic()
        await probe(rt)
        healthy = time.monotonic() - began
        postgres.freeze()
        began = time.monotonic()
        obs = (await probe(rt))[TEST_PAIR_NAME]
        return obs, healthy, time.monotonic() - began

    obs, healthy, frozen = run(settings, body)
    assert signal(obs, SignalSource.DATA_PLANE).verdict is Verdict.DOWN
    assert frozen < healthy + DEADLINE + 0.5, (healthy, frozen)


def test_canary_signal_in_every_observation(
    sim_server: SimulatorServer, simulator: Simulator, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """One CANARY signal per round, in every pair's observation (the pair without data_plane too)."""
    canaries = [postgres_server.address, closed_port()]
    settings = settings_for(sim_server.url, tmp_path, simulator, None, canaries=canaries)
    seen = run(settings, lambda rt, _: probe(rt))
    for obs in seen.values():
        canary = signal(obs, SignalSource.CANARY)
        assert canary.verdict is Verdict.UP and "1 of 2" in canary.detail
        assert canary.latency_seconds is not None


def test_canaries_none_answering_is_down(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """No canary answers: CANARY DOWN (the reference the quorum counts on for isolation)."""
    settings = settings_for(sim_server.url, tmp_path, simulator, None, canaries=[closed_port()])
    seen = run(settings, lambda rt, _: probe(rt))
    assert signal(seen[PLAIN], SignalSource.CANARY).verdict is Verdict.DOWN


def test_heartbeat_written_and_read_back_with_its_lag(
    sim_server: SimulatorServer, simulator: Simulator, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """level query with a heartbeat table: HEARTBEAT UP, the newest row read on "DR" (the same server
    here) as heartbeat_at, and dr_watchdog_heartbeat_lag_seconds measured; the password nowhere."""
    postgres_server.create_user("drw_probe", PASSWORD)
    postgres_server.execute(
        "CREATE SCHEMA IF NOT EXISTS drw; CREATE TABLE IF NOT EXISTS drw.heartbeat "
        "(writer text PRIMARY KEY, ts timestamptz NOT NULL); GRANT USAGE ON SCHEMA drw TO drw_probe; "
        "GRANT SELECT, INSERT, UPDATE ON drw.heartbeat TO drw_probe"
    )
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    data_plane = {
        "level": "query", "user": "drw_probe", "password_file": str(secret),
        "heartbeat_table": "drw.heartbeat",
    }  # fmt: skip
    settings = settings_for(
        sim_server.url, tmp_path, simulator, postgres_server.address, data_plane=data_plane
    )

    async def body(rt: Runtime, metrics: Metrics) -> tuple[Observation, float | None]:
        await rt.round()  # writes the first row
        await rt.round()  # reads it back
        await rt.round()  # the same rounds again, but for the heartbeat's time
        await rt.round()
        lag = sample(metrics, "dr_watchdog_heartbeat_lag_seconds", pair=TEST_PAIR_NAME)
        return (await probe(rt))[TEST_PAIR_NAME], lag

    obs, lag = run(settings, body)
    with Journal(settings.state.path) as journal:  # a heartbeat's time is no change
        rows = [d.rounds for d in journal.decisions(TEST_PAIR_NAME, limit=5)]
    assert sum(rows) == 4 and max(rows) >= 2, rows  # a new DR sync (every 2 s) still starts a row
    assert signal(obs, SignalSource.HEARTBEAT).verdict is Verdict.UP
    assert signal(obs, SignalSource.DATA_PLANE).verdict is Verdict.UP
    assert obs.heartbeat_at is not None and obs.heartbeat_at <= obs.observed_at
    assert lag is not None and 0 <= lag < 30
    assert all(PASSWORD not in s.detail + (s.error or "") for s in obs.signals)


def test_exposition_has_the_new_gauges_and_no_per_pair_histogram_of_them(
    sim_server: SimulatorServer, simulator: Simulator, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """After a round with data planes and a canary: the new gauges are exported, and the probe-duration
    histogram has one series set per probe kind, evidence included, and none per pair."""
    settings = settings_for(
        sim_server.url, tmp_path, simulator, postgres_server.address, canaries=[postgres_server.address]
    )

    async def body(rt: Runtime, metrics: Metrics) -> str:
        await rt.round()
        return metrics.render().decode()

    text = run(settings, body)
    buckets = [
        s.labels
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "dr_watchdog_probe_duration_seconds_bucket"
    ]
    assert {b["probe"] for b in buckets} == {
        "production_cluster", "dr_task", "dr_cluster", "data_plane", "dr_data_plane", "canary"
    }  # fmt: skip
    assert all("pair" not in b for b in buckets)  # one histogram per probe kind (issue 14), none per pair
    for series in (
        f'dr_watchdog_gray_failure{{pair="{TEST_PAIR_NAME}"}} 0.0',
        f'dr_watchdog_gray_failure{{pair="{PLAIN}"}} 0.0',
        "dr_watchdog_isolated 0.0",
        f'dr_watchdog_data_plane_unproven{{pair="{TEST_PAIR_NAME}",side="production"}} 0.0',
        f'dr_watchdog_data_plane_unproven{{pair="{TEST_PAIR_NAME}",side="dr"}} 0.0',
        "dr_watchdog_round_late_seconds 0.0",
    ):
        assert series in text
    assert f'dr_watchdog_data_plane_unproven{{pair="{PLAIN}"' not in text
