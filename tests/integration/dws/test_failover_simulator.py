"""DR actions through our client against the simulator: the state machine end to end, and the
ambiguous POST that must surface as FailoverOutcomeUnknown, never as a retry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.integration.dws.support import Recorder, closed_port_url, logged_statuses, run_client
from watchdog.dws import errors
from watchdog.dws.client import DwsClient
from watchdog.dws.models import ClusterStatus, DrStatus
from watchdog.simulator import FailoverOutcome, Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, make_test_simulator


@pytest.fixture
def fast_sim() -> Iterator[tuple[Simulator, SimulatorServer]]:
    """The test simulator at 2.5x speed, served on loopback; the promotion lasts 1.2 s of real time
    (the test must see it running: wide enough for a loaded 2-core CI machine, polled every 30 ms)."""
    sim = make_test_simulator(time_scale=2.5, promote_seconds=3.0)
    with SimulatorServer(sim) as server:
        yield sim, server


async def _until_settled(c: DwsClient, old_primary: str, limit: float = 10.0) -> list[str]:
    """Poll the detail until the status has left switchovering with roles swapped; the statuses seen."""
    seen: list[str] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        detail = await c.show_disaster_recovery(TEST_DR_ID)
        if not seen or seen[-1] != detail.status_raw:
            seen.append(detail.status_raw)
        swapped = detail.primary_cluster is not None and detail.primary_cluster.id != old_primary
        if detail.status is not DrStatus.SWITCHOVERING and swapped:
            return seen
        await asyncio.sleep(0.03)
    raise AssertionError(f"DR task never settled; saw {seen}")


async def _until_available(c: DwsClient, cluster_id: str, limit: float = 10.0) -> list[str]:
    """Poll the cluster until AVAILABLE with an empty action_progress; the task_status values seen."""
    tasks: list[str] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        cluster = await c.show_cluster(cluster_id)
        if cluster.task_status and cluster.task_status not in tasks:
            tasks.append(cluster.task_status)
        if cluster.status is ClusterStatus.AVAILABLE and not cluster.action_progress:
            return tasks
        await asyncio.sleep(0.03)
    raise AssertionError("new primary never became AVAILABLE with empty action_progress")


def test_failover_after_production_outage_end_to_end(fast_sim: tuple[Simulator, SimulatorServer]) -> None:
    """Production FAILED -> abnormal -> failover -> switchovering -> roles swapped -> new primary ready."""
    sim, server = fast_sim
    pair = sim.pair(TEST_DR_ID)
    old_primary, old_standby = pair.primary_cluster_id, pair.standby_cluster_id
    sim.fail_cluster(old_primary)

    async def body(c: DwsClient) -> tuple[str, list[str], list[str]]:
        while (await c.show_disaster_recovery(TEST_DR_ID)).status is not DrStatus.ABNORMAL:
            await asyncio.sleep(0.05)
        acknowledged = await c.failover(TEST_DR_ID)
        statuses = await _until_settled(c, old_primary)
        tasks = await _until_available(c, old_standby)
        return acknowledged, statuses, tasks

    acknowledged, statuses, tasks = run_client(server.url, body)
    assert acknowledged and acknowledged == sim.failover_calls(TEST_DR_ID)[0].request_id
    assert "switchovering" in statuses
    assert len(sim.failover_calls(TEST_DR_ID)) == 1
    assert sim.pair(TEST_DR_ID).primary_cluster_id == old_standby
    assert tasks  # the promotion showed a running task before the cluster settled


def test_switchover_swaps_roles_and_returns_to_running(fast_sim: tuple[Simulator, SimulatorServer]) -> None:
    """A planned switchover passes through switchovering and ends running with the roles swapped."""
    sim, server = fast_sim
    old_primary = sim.pair(TEST_DR_ID).primary_cluster_id

    async def body(c: DwsClient) -> list[str]:
        await c.switchover(TEST_DR_ID)
        return await _until_settled(c, old_primary)

    statuses = run_client(server.url, body)
    assert statuses[-1] == "running" and "switchovering" in statuses


def test_recovery_after_failover_end_to_end(fast_sim: tuple[Simulator, SimulatorServer]) -> None:
    """Failover, then recovery (switchback): DR_RECOVERING shows, and the task ends running with the
    old production as the standby."""
    sim, server = fast_sim
    pair = sim.pair(TEST_DR_ID)
    old_primary, old_standby = pair.primary_cluster_id, pair.standby_cluster_id
    sim.configure_pair(TEST_DR_ID, recovery_seconds=4.0)  # 0.8 s real: room to see it under way

    async def body(c: DwsClient) -> tuple[str, list[str], list[str]]:
        await c.failover(TEST_DR_ID)
        await _until_settled(c, old_primary)
        await _until_available(c, old_standby)
        acknowledged = await c.recovery(TEST_DR_ID)
        tasks = [(await c.show_cluster(old_primary)).task_status or ""]
        statuses: list[str] = []
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            detail = await c.show_disaster_recovery(TEST_DR_ID)
            statuses.append(detail.status_raw)
            standby = detail.standby_cluster.id if detail.standby_cluster else None
            if detail.status is DrStatus.RUNNING and standby == old_primary:
                return acknowledged, tasks, statuses
            await asyncio.sleep(0.03)
        raise AssertionError(f"recovery never completed; saw {statuses}")

    acknowledged, tasks, statuses = run_client(server.url, body)
    assert acknowledged == sim.action_calls(dr_id=TEST_DR_ID)[-1].request_id
    assert [c.operation.value for c in sim.action_calls(dr_id=TEST_DR_ID)] == [
        "switch_failover_disaster",
        "restore_disaster",
    ]
    assert tasks == ["DR_RECOVERING"]
    assert statuses[-1] == "running" and statuses[0] != "running"
    assert sim.pair(TEST_DR_ID).primary_cluster_id == old_standby


def test_injected_failover_failure_ends_abnormal_without_swap(
    fast_sim: tuple[Simulator, SimulatorServer],
) -> None:
    """An accepted failover that fails in the service: the client reads abnormal with the roles unchanged."""
    sim, server = fast_sim
    old_primary = sim.pair(TEST_DR_ID).primary_cluster_id
    sim.set_failover_outcome(TEST_DR_ID, FailoverOutcome.FAIL)
    sim.configure_pair(TEST_DR_ID, failover_seconds=4.0)  # 0.8 s real: room to see it under way

    async def body(c: DwsClient) -> tuple[list[str], str | None]:
        await c.failover(TEST_DR_ID)
        seen: list[str] = []
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            detail = await c.show_disaster_recovery(TEST_DR_ID)
            if not seen or seen[-1] != detail.status_raw:
                seen.append(detail.status_raw)
            if detail.status is DrStatus.ABNORMAL:
                return seen, detail.primary_cluster.id if detail.primary_cluster else None
            await asyncio.sleep(0.03)
        raise AssertionError(f"failed failover never surfaced; saw {seen}")

    seen, primary = run_client(server.url, body)
    assert seen[-1] == "abnormal" and "switchovering" in seen
    assert primary == old_primary
    assert len(sim.failover_calls(TEST_DR_ID)) == 1


def test_failover_rejected_for_old_version() -> None:
    """A cluster older than 8.1.2 refuses the failover: RejectedError, and nothing was accepted."""
    sim = make_test_simulator(version="8.1.1.300")
    with SimulatorServer(sim) as server, pytest.raises(errors.RejectedError) as info:
        run_client(server.url, lambda c: c.failover(TEST_DR_ID))
    assert info.value.status == 400
    assert sim.failover_calls() == []


def test_second_failover_while_switchovering_is_rejected(fast_sim: tuple[Simulator, SimulatorServer]) -> None:
    """A second failover POST during the first is refused by the service; only one was accepted."""
    sim, server = fast_sim

    async def body(c: DwsClient) -> None:
        await c.failover(TEST_DR_ID)
        await c.failover(TEST_DR_ID)

    with pytest.raises(errors.RejectedError):
        run_client(server.url, body)
    assert len(sim.failover_calls(TEST_DR_ID)) == 1


def test_hang_after_accepting_failover_is_outcome_unknown(
    fast_sim: tuple[Simulator, SimulatorServer],
) -> None:
    """The service takes the failover and never answers: FailoverOutcomeUnknown after one POST, and the
    DR task (read afterwards) shows the failover is really under way."""
    sim, server = fast_sim
    old_primary = sim.pair(TEST_DR_ID).primary_cluster_id
    sim.inject(kind="hang", operation="switch_failover_disaster", apply=True, seconds=10)
    recorder = Recorder()
    mark = sim.request_seq()
    with pytest.raises(errors.FailoverOutcomeUnknown) as info:
        run_client(server.url, lambda c: c.failover(TEST_DR_ID), timeout=0.5, observer=recorder)
    sim.clear_faults()
    assert info.value.operation == "switch_failover_disaster"
    assert recorder.codes() == ["timeout"]
    assert len(logged_statuses(sim, "switch_failover_disaster", mark, 1)) == 1
    assert len(sim.failover_calls(TEST_DR_ID)) == 1
    statuses = run_client(server.url, lambda c: _until_settled(c, old_primary))  # fails unless swapped
    assert statuses[-1] == "abnormal"  # the completed failover, read back: the caller can reconcile


@pytest.mark.parametrize(("kind", "code"), [("reset", "unreachable"), ("error", "503")])
def test_reset_or_5xx_after_accepting_is_outcome_unknown(
    fast_sim: tuple[Simulator, SimulatorServer], kind: str, code: str
) -> None:
    """Accepted, then a reset or a 503 instead of the answer: FailoverOutcomeUnknown, one POST only."""
    sim, server = fast_sim
    sim.inject(kind=kind, operation="switch_failover_disaster", apply=True, status=503)
    recorder = Recorder()
    with pytest.raises(errors.FailoverOutcomeUnknown):
        run_client(server.url, lambda c: c.failover(TEST_DR_ID), observer=recorder)
    assert recorder.codes() == [code]
    assert len(sim.failover_calls(TEST_DR_ID)) == 1


def test_503_without_acceptance_is_still_unknown_and_not_retried(
    fast_sim: tuple[Simulator, SimulatorServer],
) -> None:
    """A 5xx on a failover is ambiguous to the client even when the service did nothing: never retried."""
    sim, server = fast_sim
    sim.inject(kind="error", operation="switch_failover_disaster", status=503)
    mark = sim.request_seq()
    with pytest.raises(errors.FailoverOutcomeUnknown):
        run_client(server.url, lambda c: c.failover(TEST_DR_ID))
    assert len(logged_statuses(sim, "switch_failover_disaster", mark, 1)) == 1
    assert sim.failover_calls(TEST_DR_ID) == []


def test_failover_to_closed_port_is_definitely_not_sent() -> None:
    """Connection refused before anything was sent: UnreachableError (safe), not OutcomeUnknown."""
    recorder = Recorder()
    with pytest.raises(errors.UnreachableError):
        run_client(closed_port_url(), lambda c: c.failover(TEST_DR_ID), observer=recorder)
    assert recorder.codes() == ["unreachable"]
