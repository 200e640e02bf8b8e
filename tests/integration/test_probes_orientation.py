"""Which cluster is production, against the simulator over real HTTP: only role-bearing data orients a pair.

After a switchover the list's `primary_cluster_*` fields may keep the creation's order (the docs only
establish that the detail is role-based). The simulator's per-field overrides make its list do that,
and an injected fault makes the detail unreadable: the watchdog must then not know, rather than guess.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_probes import PAIR, probe, signal
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
from watchdog.simulator import Operation, Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

CREATION_ORDER_ROLES = [
    pytest.param({"primary_cluster_role": None, "standby_cluster_role": None}, id="no-role-fields"),
    pytest.param({"primary_cluster_role": "master", "standby_cluster_role": "slave"}, id="other-vocabulary"),
    pytest.param({"primary_cluster_role": "primary", "standby_cluster_role": "PRIMARY"}, id="inconsistent"),
]


def switched_over(sim: Simulator) -> tuple[str, str]:
    """A completed planned switchover; returns (old production, new production)."""
    pair = sim.pair(TEST_DR_ID)
    old, new = pair.primary_cluster_id, pair.standby_cluster_id
    sim.act(Operation.SWITCHOVER_DISASTER_RECOVERY, TEST_DR_ID)
    deadline = time.monotonic() + 5.0
    while sim.pair(TEST_DR_ID).primary_cluster_id != new or sim.dr_detail(TEST_DR_ID)["status"] != "running":
        assert time.monotonic() < deadline, "switchover did not complete"
        time.sleep(0.05)
    return old, new


def list_keeps_creation_order(sim: Simulator, old: str, new: str, roles: dict[str, Any]) -> None:
    """The DR list names the creation's clusters as primary/standby, with `roles`; the detail fails."""
    sim.override(TEST_DR_ID, primary_cluster_id=old, standby_cluster_id=new, **roles)
    sim.inject(kind="error", operation="show_disaster_detail", status=500)


def observe(url: str) -> Observation:
    return probe(url, [PAIR])[TEST_PAIR_NAME]


@pytest.mark.parametrize("roles", CREATION_ORDER_ROLES)
def test_a_failed_standby_is_never_production_down(
    simulator: Simulator, sim_server: SimulatorServer, roles: dict[str, Any]
) -> None:
    """After a switchover, with the list in creation order, no usable roles and the detail failing, the
    failed old production (now the standby) is not read as production: the round is UNKNOWN."""
    sim, server = simulator, sim_server
    old, new = switched_over(sim)
    list_keeps_creation_order(sim, old, new, roles)
    sim.fail_cluster(old)
    obs = observe(server.url)
    assert production_verdict(obs.signals) is Verdict.UNKNOWN
    assert {s.verdict for s in obs.signals} == {Verdict.UNKNOWN}
    assert obs.dr_task is None and obs.production is None
    error = signal(obs, SignalSource.PRODUCTION_CLUSTER)[2]
    assert error is not None and "do not say which cluster is production" in error and "HTTP 500" in error


@pytest.mark.parametrize("roles", CREATION_ORDER_ROLES)
def test_a_list_only_round_teaches_no_wrong_baseline(
    simulator: Simulator, sim_server: SimulatorServer, roles: dict[str, Any]
) -> None:
    """A healthy round oriented by nothing but the list's creation order teaches no baseline, so a real
    outage of the new production later is warranted, not blocked as roles_swapped."""
    sim, server = simulator, sim_server
    policy = Policy(mode=Mode.RECOMMEND, failure_threshold=2, min_outage_seconds=0.0)
    old, new = switched_over(sim)
    list_keeps_creation_order(sim, old, new, roles)
    state = PairState()
    for _ in range(2):
        obs = observe(server.url)
        evaluation = evaluate(obs, state, policy, obs.observed_at)
        assert evaluation.decision.state is State.UNKNOWN
        state = evaluation.next_state
    assert state.baseline_primary_id is None
    sim.override(TEST_DR_ID)  # the list and the detail answer normally again
    sim.clear_faults()
    sim.fail_cluster(new)  # the real production fails
    decisions = []
    for _ in range(2):
        obs = observe(server.url)
        evaluation = evaluate(obs, state, policy, obs.observed_at + timedelta(seconds=1))
        decisions.append(evaluation.decision)
        state = evaluation.next_state
    assert obs.production is not None and obs.production.id == new
    assert [d.verdict for d in decisions] == [Verdict.DOWN, Verdict.DOWN]
    assert ReasonCode.ROLES_SWAPPED not in decisions[-1].codes
    assert (decisions[-1].state, decisions[-1].action) == (State.FAILOVER_WARRANTED, Action.RECOMMEND)
    assert state.baseline_primary_id == new


def test_explicit_list_roles_still_orient_without_the_detail(
    simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """List roles that say primary/standby (any case) orient the pair when the detail fails, even when
    the list's fields keep the creation's order: production is the primary-role cluster."""
    sim, server = simulator, sim_server
    old, new = switched_over(sim)
    roles = {"primary_cluster_role": "Standby", "standby_cluster_role": "PRIMARY"}
    list_keeps_creation_order(sim, old, new, roles)
    sim.fail_cluster(old)
    obs = observe(server.url)
    assert obs.dr_task is not None and obs.dr_task.primary_cluster_id == new
    assert signal(obs, SignalSource.PRODUCTION_CLUSTER)[0] is Verdict.UP
    assert signal(obs, SignalSource.DR_CLUSTER)[0] is Verdict.DOWN
    assert obs.observed_at - datetime.now(UTC) < timedelta(seconds=5)
