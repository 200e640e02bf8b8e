"""The Prober against the simulator over real HTTP: verdicts, last sync, and what a round costs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from tests.integration.dws.support import FAST_RETRY, closed_port_url
from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.dws.signing import Credentials
from watchdog.model import Observation, SignalSource, Verdict
from watchdog.policy import production_verdict
from watchdog.probes import Prober
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.model import RequestRecord
from watchdog.simulator.testing import (
    FAST_TIMING,
    OTHER_CREDENTIALS,
    OTHER_PROJECT_ID,
    TEST_CREDENTIALS,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    make_test_simulator,
)

T = TypeVar("T")
PAIR = (TEST_PAIR_NAME, TEST_PROJECT_ID, TEST_DR_ID)
CREDS = {TEST_PROJECT_ID: TEST_CREDENTIALS, OTHER_PROJECT_ID: OTHER_CREDENTIALS}


def with_prober(
    url: str,
    pairs: list[tuple[str, str, str]],
    body: Callable[[Prober], Awaitable[T]],
    *,
    retry: RetryPolicy = FAST_RETRY,
    timeout: float = 10.0,
    credentials: dict[str, Credentials] | None = None,
    projects: set[str] | None = None,
) -> T:
    """Run `body` with a Prober whose clients (one per project of `pairs`, or `projects`) talk to `url`."""

    async def go() -> T:
        async with AsyncExitStack() as stack:
            clients = {}
            for project in projects or {p[1] for p in pairs}:
                creds = (credentials or CREDS)[project]
                client = DwsClient(url, project, creds, retry=retry, timeout=2.0)
                clients[project] = await stack.enter_async_context(client)
            return await body(Prober(clients, pairs, timeout=timeout))

    return asyncio.run(go())


def probe(url: str, pairs: list[tuple[str, str, str]] | None = None, **kw: object) -> dict[str, Observation]:
    return with_prober(url, pairs or [PAIR], lambda p: p.probe_round(datetime.now(UTC)), **kw)  # type: ignore[arg-type]


def signal(obs: Observation, source: SignalSource) -> tuple[Verdict, str, str | None]:
    found = next(s for s in obs.signals if s.source is source)
    return found.verdict, found.detail, found.error


def logged(sim: Simulator, mark: int, expected: int, project: str | None = None) -> list[RequestRecord]:
    """The simulator's request log since `mark`; waits briefly, as the server logs just after answering."""
    deadline = time.monotonic() + 2.0
    while True:
        records = sim.requests(project_id=project, since_seq=mark)
        if len(records) >= expected or time.monotonic() > deadline:
            return records
        time.sleep(0.01)


@pytest.fixture
def fast_sim() -> Iterator[tuple[Simulator, SimulatorServer]]:
    """The test simulator at 5x speed (DR task abnormal 0.4 s after a production failure)."""
    sim = make_test_simulator(time_scale=5.0)
    with SimulatorServer(sim) as server:
        yield sim, server


def test_healthy_pair(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """A healthy pair: production and DR clusters UP, last sync known and recent, two list calls only."""
    mark = simulator.request_seq()
    obs = probe(sim_server.url)[TEST_PAIR_NAME]
    pair = simulator.pair(TEST_DR_ID)
    assert signal(obs, SignalSource.PRODUCTION_CLUSTER)[0] is Verdict.UP
    assert signal(obs, SignalSource.DR_CLUSTER)[0] is Verdict.UP
    assert signal(obs, SignalSource.DR_TASK)[0:3:2] == (Verdict.UNKNOWN, None)  # read fine, no evidence
    assert production_verdict(obs.signals) is Verdict.UP
    assert obs.production is not None and obs.production.id == pair.primary_cluster_id
    assert obs.dr_cluster is not None and obs.dr_cluster.id == pair.standby_cluster_id
    assert obs.production.version == "8.2.1.220" and obs.production.status == "AVAILABLE"
    assert obs.dr_task is not None and obs.dr_task.status == "running"
    assert obs.last_sync_known and obs.last_sync is not None
    assert obs.last_sync_source == "list last_disaster_time"  # healthy: no per-pair call for it
    assert timedelta(0) <= obs.observed_at - obs.last_sync <= timedelta(seconds=5)
    assert sorted(r.operation for r in simulator.requests(since_seq=mark)) == [
        "list_clusters",
        "list_disaster_recover",
    ]


def test_production_failed_is_down_at_once_then_dr_task_agrees(
    fast_sim: tuple[Simulator, SimulatorServer],
) -> None:
    """FAILED production is DOWN on the first round (the lagging DR task does not contradict it); once the
    task turns abnormal it is DOWN too, and the last sync comes from the detail and stays frozen."""
    sim, server = fast_sim
    sim.fail_cluster(sim.pair(TEST_DR_ID).primary_cluster_id)
    first = probe(server.url)[TEST_PAIR_NAME]
    assert signal(first, SignalSource.PRODUCTION_CLUSTER)[0] is Verdict.DOWN
    assert "FAILED" in signal(first, SignalSource.PRODUCTION_CLUSTER)[1]
    assert production_verdict(first.signals) is Verdict.DOWN
    time.sleep(0.6)  # 3 virtual seconds: past the 2 s abnormal delay
    later = probe(server.url)[TEST_PAIR_NAME]
    assert signal(later, SignalSource.DR_TASK)[0] is Verdict.DOWN
    assert signal(later, SignalSource.DR_CLUSTER)[0] is Verdict.UP
    assert production_verdict(later.signals) is Verdict.DOWN
    assert later.dr_task is not None and later.dr_task.status == "abnormal"
    assert later.last_sync_known and later.last_sync == first.last_sync
    assert later.last_sync_source == "standby last_success_time"  # the detail's standby side
    assert later.rpo_seconds is not None and later.rpo_seconds > 0


def test_degraded_production_is_up_with_the_detail(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """A DEGRADED | UNBALANCED sub_status is reported beside UP, never as DOWN."""
    simulator.set_sub_status(simulator.pair(TEST_DR_ID).primary_cluster_id, "DEGRADED | UNBALANCED")
    obs = probe(sim_server.url)[TEST_PAIR_NAME]
    verdict, detail, _ = signal(obs, SignalSource.PRODUCTION_CLUSTER)
    assert verdict is Verdict.UP and "degraded: DEGRADED | UNBALANCED" in detail
    assert obs.production is not None and obs.production.sub_status == ("DEGRADED", "UNBALANCED")


@pytest.mark.parametrize("status", [503, 500, 429])
def test_api_errors_are_unknown_never_down(
    simulator: Simulator, sim_server: SimulatorServer, status: int
) -> None:
    """An API answering 5xx or 429 on everything makes every signal UNKNOWN with the error text."""
    simulator.inject(kind="error", operation="*", status=status)
    mark = simulator.request_seq()
    retry = RetryPolicy(attempts=2, base=0.01, cap=0.02, deadline=2.0)
    obs = probe(sim_server.url, retry=retry)[TEST_PAIR_NAME]
    ops = sorted(r.operation for r in logged(simulator, mark, 4))
    assert ops == ["list_clusters"] * 2 + ["list_disaster_recover"] * 2  # retried, and no per-pair storm
    for source in (SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER):
        verdict, _, error = signal(obs, source)
        assert verdict is Verdict.UNKNOWN and error is not None and f"HTTP {status}" in error
    assert production_verdict(obs.signals) is Verdict.UNKNOWN
    assert not obs.last_sync_known


def test_api_unreachable_is_unknown() -> None:
    """Nothing listening: every signal UNKNOWN, naming the unreachable endpoint."""
    obs = probe(closed_port_url())[TEST_PAIR_NAME]
    assert {s.verdict for s in obs.signals} == {Verdict.UNKNOWN}
    assert all(s.error and "cannot reach" in s.error for s in obs.signals)


def test_wrong_credentials_are_unknown(sim_server: SimulatorServer) -> None:
    """A rejected signature is UNKNOWN (we cannot see), with the gateway's code, and no secret in it."""
    wrong = Credentials(TEST_CREDENTIALS.access_key, "bad" + TEST_CREDENTIALS.secret_key)
    obs = probe(sim_server.url, credentials={TEST_PROJECT_ID: wrong})[TEST_PAIR_NAME]
    assert production_verdict(obs.signals) is Verdict.UNKNOWN
    assert all(s.error and "APIGW.0301" in s.error and wrong.secret_key not in s.error for s in obs.signals)


def test_malformed_list_is_unknown(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """A cluster list that is not JSON makes the cluster signals UNKNOWN (malformed), not DOWN."""
    simulator.inject(kind="malformed", operation="list_clusters")
    obs = probe(sim_server.url)[TEST_PAIR_NAME]
    verdict, _, error = signal(obs, SignalSource.PRODUCTION_CLUSTER)
    assert verdict is Verdict.UNKNOWN and error is not None and "malformed" in error


def test_two_projects_cost_one_list_each_per_round(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """Two projects, three pairs: each round makes exactly one DR list and one cluster list per project."""
    other = simulator.add_pair(OTHER_PROJECT_ID, "finance-dw", **FAST_TIMING)
    extra = simulator.add_pair(TEST_PROJECT_ID, "hr-dw", **FAST_TIMING)
    pairs = [
        PAIR,
        ("finance-dw", OTHER_PROJECT_ID, other.disaster_recovery_id),
        ("hr-dw", TEST_PROJECT_ID, extra.disaster_recovery_id),
    ]
    time.sleep(1.2)  # let a first sync complete so every list item carries a last-sync time
    mark = simulator.request_seq()

    async def two_rounds(prober: Prober) -> list[dict[str, Observation]]:
        return [await prober.probe_round(datetime.now(UTC)) for _ in range(2)]

    rounds = with_prober(sim_server.url, pairs, two_rounds)
    assert all(set(r) == {"sales-dw", "finance-dw", "hr-dw"} for r in rounds)
    assert all(production_verdict(o.signals) is Verdict.UP for r in rounds for o in r.values())
    for project in (TEST_PROJECT_ID, OTHER_PROJECT_ID):
        ops = sorted(r.operation for r in logged(simulator, mark, 4, project))
        assert ops == ["list_clusters"] * 2 + ["list_disaster_recover"] * 2, project


def test_a_hung_project_does_not_delay_the_others(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """One project's API hangs: its pairs are UNKNOWN (timed out) and the other project is still seen."""
    other = simulator.add_pair(OTHER_PROJECT_ID, "finance-dw", **FAST_TIMING)
    simulator.inject(kind="hang", operation="*", project_id=OTHER_PROJECT_ID, seconds=10)
    pairs = [PAIR, ("finance-dw", OTHER_PROJECT_ID, other.disaster_recovery_id)]
    started = time.monotonic()
    result = probe(sim_server.url, pairs, timeout=1.0)
    elapsed = time.monotonic() - started
    simulator.clear_faults()
    assert elapsed < 2.5
    assert production_verdict(result["sales-dw"].signals) is Verdict.UP
    hung = result["finance-dw"]
    assert {s.verdict for s in hung.signals} == {Verdict.UNKNOWN}
    assert all(s.error and "timed out" in s.error for s in hung.signals)


def test_unknown_dr_task_is_unknown_not_down(sim_server: SimulatorServer) -> None:
    """A pair whose DR task does not exist is UNKNOWN everywhere: that proves nothing about production."""
    obs = probe(sim_server.url, [("ghost", TEST_PROJECT_ID, "00000000-0000-4000-8000-000000000000")])["ghost"]
    assert {s.verdict for s in obs.signals} == {Verdict.UNKNOWN}
    assert "DWS.10101" in (signal(obs, SignalSource.DR_TASK)[2] or "")


def test_after_failover_production_is_the_new_primary(fast_sim: tuple[Simulator, SimulatorServer]) -> None:
    """Once roles swap, the production signal follows the DR task's new primary cluster."""
    sim, server = fast_sim
    pair = sim.pair(TEST_DR_ID)
    old_primary, old_standby = pair.primary_cluster_id, pair.standby_cluster_id
    sim.fail_cluster(old_primary)
    time.sleep(0.6)
    with_prober(server.url, [PAIR], lambda p: p._clients[TEST_PROJECT_ID].failover(TEST_DR_ID))
    time.sleep(0.6)  # 3 virtual seconds: failover (1 s) and promotion (0.5 s) are done
    obs = probe(server.url)[TEST_PAIR_NAME]
    assert obs.dr_task is not None and obs.dr_task.primary_cluster_id == old_standby
    assert obs.production is not None and obs.production.id == old_standby
    assert signal(obs, SignalSource.PRODUCTION_CLUSTER)[0] is Verdict.UP
    assert signal(obs, SignalSource.DR_CLUSTER)[0] is Verdict.DOWN  # the old production, still FAILED


def test_stalled_sync_keeps_production_up_with_a_frozen_last_sync(
    fast_sim: tuple[Simulator, SimulatorServer],
) -> None:
    """Stale sync while production is healthy: UP, and the last sync time stops advancing."""
    sim, server = fast_sim
    sim.stall_sync(TEST_DR_ID)
    first = probe(server.url)[TEST_PAIR_NAME]
    time.sleep(1.0)  # 5 virtual seconds: two sync periods
    later = probe(server.url)[TEST_PAIR_NAME]
    assert production_verdict(later.signals) is Verdict.UP
    assert later.last_sync == first.last_sync and later.last_sync is not None


def test_probe_pair_reads_one_pair(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """probe_pair returns the named pair's observation and refuses an unknown name."""
    obs = with_prober(sim_server.url, [PAIR], lambda p: p.probe_pair(TEST_PAIR_NAME))
    assert obs.pair == TEST_PAIR_NAME and production_verdict(obs.signals) is Verdict.UP
    with pytest.raises(KeyError, match="nope"):
        with_prober(sim_server.url, [PAIR], lambda p: p.probe_pair("nope"))


@pytest.mark.parametrize("both_projects", [True, False], ids=["with-standby-client", "without"])
def test_cross_region_standby(simulator: Simulator, sim_server: SimulatorServer, both_projects: bool) -> None:
    """A standby in another project is read through that project's client; without one it is UNKNOWN,
    never taken for deleted (this project's API would answer 404 for it)."""
    geo = simulator.add_pair(
        TEST_PROJECT_ID, "geo-dw", dr_type="region", standby_project_id=OTHER_PROJECT_ID,
        standby_region="cn-east-3", **FAST_TIMING,
    )  # fmt: skip
    pairs = [("geo-dw", TEST_PROJECT_ID, geo.disaster_recovery_id)]
    projects = {TEST_PROJECT_ID, OTHER_PROJECT_ID} if both_projects else None
    obs = with_prober(sim_server.url, pairs, lambda p: p.probe_round(datetime.now(UTC)), projects=projects)[
        "geo-dw"
    ]
    assert signal(obs, SignalSource.PRODUCTION_CLUSTER)[0] is Verdict.UP
    verdict, _, error = signal(obs, SignalSource.DR_CLUSTER)
    if both_projects:
        assert (
            verdict is Verdict.UP
            and obs.dr_cluster is not None
            and obs.dr_cluster.id == geo.standby_cluster_id
        )
    else:
        assert verdict is Verdict.UNKNOWN and error is not None and OTHER_PROJECT_ID in error


def test_a_thousand_pairs_cost_two_calls(simulator: Simulator, sim_server: SimulatorServer) -> None:
    """A healthy project of 1000 pairs is observed with one DR list and one cluster list, in seconds."""
    bulk = simulator.add_pairs(TEST_PROJECT_ID, 999, **FAST_TIMING)
    pairs = [PAIR] + [(p.name, TEST_PROJECT_ID, p.disaster_recovery_id) for p in bulk]
    mark = simulator.request_seq()
    started = time.monotonic()
    result = probe(sim_server.url, pairs)
    elapsed = time.monotonic() - started
    assert len(result) == 1000
    assert all(production_verdict(o.signals) is Verdict.UP and o.last_sync_known for o in result.values())
    assert sorted(r.operation for r in logged(simulator, mark, 2)) == [
        "list_clusters",
        "list_disaster_recover",
    ]
    assert elapsed < 15.0
