"""`ha.backend: kubernetes`: daemons as real processes electing a leader on a Lease of the fake
Kubernetes API server (real HTTP on 127.0.0.1; not a real cluster), against the simulator; exactly
one failover POST in the simulator's own record. The same short timings as the etcd group's."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.ha_group import DEADLINE, LEASE, RETRY, group, leaders, sent_intents, taken_over
from tests.e2e.harness import run_cli, wait_for
from tests.servers.kube_api import KubeApiServer
from watchdog.model import IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID

pytestmark = pytest.mark.slow
NS = "drw"


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[KubeApiServer, dict[str, Any]]]:
    """The fake API server and the `ha` keys that point the daemons at it (token file included)."""
    with KubeApiServer() as api:
        token = tmp_path / "token"
        token.write_text(api.token)
        keys = {"api_url": api.url, "namespace": NS, "token_path": str(token), "timeout_seconds": 0.4}
        yield api, {"backend": "kubernetes", "kubernetes": keys}


def holder(api: KubeApiServer) -> str:
    lease = api.get(NS, "leases", "dr-watchdog")
    return "" if lease is None else str(lease["spec"].get("holderIdentity") or "")


def test_kill_9_of_the_leader_a_follower_takes_over_and_fails_over_once(
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    kube: tuple[KubeApiServer, dict[str, Any]],
) -> None:
    """Three instances, one leader (the Lease's holder); kill -9 it, then production fails: a
    follower takes the Lease once it has seen it unchanged for a lease duration, with a larger
    term, and fails over exactly once."""
    api, backend = kube
    with group(tmp_path, "abc", sim_server, backend) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        time.sleep(1.0)
        (old,) = leaders(daemons)
        assert holder(api) == old
        term = api.get(NS, "leases", "dr-watchdog")["spec"]["leaseTransitions"]  # type: ignore[index]
        victim = next(d for d in daemons if d.stdout_path.stem == old)
        victim.terminate(signal.SIGKILL)
        killed = time.monotonic()
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        rest = [d for d in daemons if d is not victim]
        wait_for(lambda: len(leaders(rest)) == 1, LEASE + DEADLINE + 2, "a new leader")
        took = time.monotonic() - killed
        assert LEASE - RETRY <= took <= LEASE + 2 * RETRY + 1.0, took
        (new,) = leaders(rest)
        lease = api.get(NS, "leases", "dr-watchdog")
        assert lease is not None and lease["spec"]["holderIdentity"] == new
        assert lease["spec"]["leaseTransitions"] > term
        wait_for(lambda: len(simulator.failover_calls(TEST_DR_ID)) == 1, 30, "the failover POST")
        time.sleep(3.0)
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert sent_intents(tmp_path, new) == 1
    assert sum(sent_intents(tmp_path, n) for n in "abc" if n != new) == 0
    print(f"takeover after kill -9: {took:.2f} s")


def test_a_frozen_api_server_stops_every_instance_from_acting(
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    kube: tuple[KubeApiServer, dict[str, Any]],
) -> None:
    """The API server stops answering while production fails: nobody leads, nobody fails over,
    coordination_up is 0; once it answers again, one leader fails over exactly once."""
    api, backend = kube
    with group(tmp_path, "ab", sim_server, backend) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        api.freeze()
        try:
            simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
            wait_for(lambda: leaders(daemons) == [], DEADLINE + 2, "nobody leading")
            time.sleep(4.0)
            assert simulator.failover_calls(TEST_DR_ID) == []
            assert all(d.sample("dr_watchdog_coordination_up") == 0 for d in daemons)
        finally:
            api.thaw()
        wait_for(lambda: len(simulator.failover_calls(TEST_DR_ID)) == 1, LEASE + 20, "one POST after")
        time.sleep(3.0)
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_a_clean_stop_of_the_leader_hands_over_within_a_retry_period(
    tmp_path: Path, sim_server: SimulatorServer, kube: tuple[KubeApiServer, dict[str, Any]]
) -> None:
    """SIGTERM: the leader releases the Lease (no holder) and the follower takes it at its next step."""
    api, backend = kube
    with group(tmp_path, "ab", sim_server, backend) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        (old,) = leaders(daemons)
        victim = next(d for d in daemons if d.stdout_path.stem == old)
        other = next(d for d in daemons if d is not victim)
        stopped = time.monotonic()
        victim.terminate(signal.SIGTERM)
        wait_for(lambda: holder(api) == other.stdout_path.stem, 5, "the follower holding the Lease")
        handed = time.monotonic() - stopped
        assert handed < LEASE - RETRY, handed  # not the expiry: the release
        print(f"handover after SIGTERM: {handed:.2f} s")


@pytest.mark.parametrize("moment", ["in_the_hook", "after_the_post"])
def test_kill_9_of_the_leader_mid_failover_takeover_from_the_configmap_gives_one_post(
    moment: str,
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    kube: tuple[KubeApiServer, dict[str, Any]],
) -> None:
    """The leader killed inside its hook (intent claimed in the ConfigMap, not sent) or right after
    its POST: the follower takes the Lease, reads the ConfigMap and either fails over itself or takes
    the sent intent over and follows it to completion: exactly one POST in the simulator's record."""
    api, backend = kube
    with group(tmp_path, "ab", sim_server, backend, hook_seconds=1.0) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        old = next(d for d in daemons if d.stdout_path.stem == leaders(daemons)[0])
        other = next(d for d in daemons if d is not old)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        if moment == "in_the_hook":
            wait_for(lambda: (tmp_path / f"{old.stdout_path.stem}.hook").exists(), 30, "the leader's hook")
            state = api.get(NS, "configmaps", "dr-watchdog-state")
            assert state is not None and '"holder":"' + old.stdout_path.stem in state["data"]["state"]
        else:
            wait_for(lambda: simulator.failover_calls(TEST_DR_ID), 30, "the leader's POST", interval=0.01)
        old.terminate(signal.SIGKILL)
        wait_for(lambda: leaders([other]) == [other.stdout_path.stem], LEASE + DEADLINE + 3, "takeover")
        wait_for(lambda: simulator.failover_calls(TEST_DR_ID), 30, "a POST")
        if moment == "after_the_post":
            done = [IntentStatus.COMPLETED]
            wait_for(lambda: taken_over(tmp_path, other.stdout_path.stem) == done, 30, "the takeover")
        time.sleep(4.0)  # the new leader's rounds after the switch: nothing more is sent
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert sent_intents(tmp_path, other.stdout_path.stem) == (1 if moment == "in_the_hook" else 0)


def test_a_pause_through_a_followers_cli_holds_for_the_leader(
    tmp_path: Path,
    simulator: Simulator,
    sim_server: SimulatorServer,
    kube: tuple[KubeApiServer, dict[str, Any]],
) -> None:
    """`pause` through a follower's CLI writes the ConfigMap; the leader, seeing it, does not fail
    over; `resume` through the same CLI: exactly one POST."""
    api, backend = kube
    with group(tmp_path, "ab", sim_server, backend) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        leader = next(d for d in daemons if d.stdout_path.stem == leaders(daemons)[0])
        follower = next(d for d in daemons if d is not leader)
        done = run_cli("pause", "--config", str(follower.config), "--reason", "game day", tmp=tmp_path)
        assert done.returncode == 0, done.stderr
        state = api.get(NS, "configmaps", "dr-watchdog-state")
        assert state is not None and "game day" in state["data"]["state"]
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        blocked = "dr_watchdog_failover_blocked"
        wait_for(lambda: leader.sample(blocked, pair="sales-dw", reason="paused") == 1, 10, "paused")
        time.sleep(3.0)
        assert simulator.failover_calls(TEST_DR_ID) == []
        done = run_cli("resume", "--config", str(follower.config), tmp=tmp_path)
        assert done.returncode == 0, done.stderr
        wait_for(lambda: simulator.failover_calls(TEST_DR_ID), 20, "the POST after resume")
        time.sleep(2.0)
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1
