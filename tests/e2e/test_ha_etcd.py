"""`ha.backend: etcd`: daemons as real processes electing a leader on a real etcd (Debian's
etcd-server on 127.0.0.1), against the simulator; exactly one failover POST in the simulator's own
record, whatever happens to the leader or to etcd. Short lease timings (lease 3 s, renew deadline
2 s, retry 0.5 s) so a takeover takes seconds."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.ha_group import DEADLINE, LEASE, group, leaders, sent_intents, taken_over
from tests.e2e.harness import wait_for
from tests.servers.etcd import EtcdServer
from watchdog.journal import Journal
from watchdog.model import IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID

pytestmark = pytest.mark.slow


def test_kill_9_of_the_leader_a_follower_takes_over_and_fails_over_once(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """Three instances, one leader; kill -9 the leader, then production fails: a follower leads within
    lease + renew deadline and fails the pending outage over exactly once (one POST in the
    simulator's record); the other follower never sends anything."""
    with group(tmp_path, "abc", sim_server, etcd) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        time.sleep(1.0)
        assert len(leaders(daemons)) == 1
        old = leaders(daemons)[0]
        victim = next(d for d in daemons if d.stdout_path.stem == old)
        victim.terminate(signal.SIGKILL)
        killed = time.monotonic()
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        rest = [d for d in daemons if d is not victim]
        wait_for(lambda: len(leaders(rest)) == 1, LEASE + DEADLINE + 2, "a new leader")
        assert time.monotonic() - killed <= LEASE + DEADLINE + 1.0
        wait_for(lambda: len(simulator.failover_calls(TEST_DR_ID)) == 1, 30, "the failover POST")
        time.sleep(3.0)
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1
        new = leaders(rest)[0]
    assert sent_intents(tmp_path, new) == 1
    assert sum(sent_intents(tmp_path, n) for n in "abc" if n != new) == 0


def test_a_leader_frozen_past_its_lease_never_posts_after_it_resumes(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """The leader is frozen (SIGSTOP) inside its pre-failover hook, past its lease: the other instance
    takes over and fails over; the old leader, resumed, finds it no longer holds the lease right
    before the POST and closes its intent unsent: one POST in all, from the new leader."""
    with group(tmp_path, "ab", sim_server, etcd, hook_seconds=1.5) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        old = next(d for d in daemons if d.stdout_path.stem == leaders(daemons)[0])
        other = next(d for d in daemons if d is not old)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        wait_for(lambda: (tmp_path / f"{old.stdout_path.stem}.hook").exists(), 30, "the leader in its hook")
        os.kill(old.proc.pid, signal.SIGSTOP)
        wait_for(lambda: leaders([other]) == [other.stdout_path.stem], LEASE + DEADLINE + 3, "takeover")
        wait_for(lambda: len(simulator.failover_calls(TEST_DR_ID)) == 1, 30, "the new leader's POST")
        os.kill(old.proc.pid, signal.SIGCONT)
        time.sleep(4.0)  # the old leader's hook ends, its gate runs
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1
        assert old.sample("dr_watchdog_leader") == 0
    assert sent_intents(tmp_path, old.stdout_path.stem) == 0
    assert sent_intents(tmp_path, other.stdout_path.stem) == 1
    with Journal(tmp_path / old.stdout_path.stem / "watchdog.db") as journal:
        (closed,) = journal.intents()
    assert closed.sent_at is None and "not the instance allowed to act" in (closed.detail or "")


def test_a_frozen_etcd_stops_every_instance_from_acting(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """etcd frozen (SIGSTOP) while production fails: the leader stops holding at its renew deadline,
    no instance fails over while the lease is uncertain, coordination_up is 0; once etcd is back,
    one leader fails over exactly once."""
    with group(tmp_path, "ab", sim_server, etcd) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        etcd.freeze()
        try:
            simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
            wait_for(lambda: leaders(daemons) == [], DEADLINE + 2, "nobody leading")
            time.sleep(4.0)  # the outage is confirmed (about 1.5 s) long before this ends
            assert simulator.failover_calls(TEST_DR_ID) == []
            assert all(d.sample("dr_watchdog_coordination_up") == 0 for d in daemons)
        finally:
            etcd.thaw()
        wait_for(
            lambda: len(simulator.failover_calls(TEST_DR_ID)) == 1, LEASE + 20, "one POST after the thaw"
        )
        time.sleep(3.0)
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1


@pytest.mark.parametrize("moment", ["in_the_hook", "after_the_post"])
def test_kill_9_of_the_leader_mid_failover_and_takeover_gives_one_post(
    moment: str, tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """Crash safety with takeover: kill -9 the leader after its intent, inside its pre-failover hook
    (before the POST), or right after its POST reached the simulator (submitting / tracking); the
    follower takes over: exactly one failover POST in the simulator's record, every time."""
    with group(tmp_path, "ab", sim_server, etcd, hook_seconds=1.0) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        old = next(d for d in daemons if d.stdout_path.stem == leaders(daemons)[0])
        other = next(d for d in daemons if d is not old)
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        if moment == "in_the_hook":
            wait_for(
                lambda: (tmp_path / f"{old.stdout_path.stem}.hook").exists(), 30, "the leader in its hook"
            )
        else:
            wait_for(lambda: simulator.failover_calls(TEST_DR_ID), 30, "the leader's POST", interval=0.01)
        old.terminate(signal.SIGKILL)
        wait_for(lambda: leaders([other]) == [other.stdout_path.stem], LEASE + DEADLINE + 3, "takeover")
        wait_for(lambda: simulator.failover_calls(TEST_DR_ID), 30, "a POST")
        time.sleep(5.0)  # the new leader's rounds after the switch: nothing more is sent
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1
        if moment == "after_the_post":
            done = [IntentStatus.COMPLETED]
            wait_for(lambda: taken_over(tmp_path, other.stdout_path.stem) == done, 30, "the takeover")
    sent_by_new = sent_intents(tmp_path, other.stdout_path.stem)
    assert sent_by_new == (1 if moment == "in_the_hook" else 0)
    # after the POST, the new leader took the old one's sent intent over from the shared state and
    # followed the DR task to completion, never sending it again
    expected = [] if moment == "in_the_hook" else [IntentStatus.COMPLETED]
    assert taken_over(tmp_path, other.stdout_path.stem) == expected
