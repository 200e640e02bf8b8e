"""The HA group's shared operator state, with daemons as real processes on a real etcd: a pause
given through one instance's CLI holds on every instance (the leader, and the one that takes over
from it), and the global brake counts the group's failovers, not one journal's."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.ha_group import DEADLINE, LEASE, group, leaders
from tests.e2e.harness import Daemon, config_data, free_port, run_cli, wait_for, write_config
from tests.servers.etcd import EtcdServer
from tests.unit.notify.receiver import Receiver
from watchdog.ha.etcd import EtcdClient
from watchdog.ha.etcd_state import EtcdStateStore
from watchdog.ha.shared import SharedIntent, SharedPair
from watchdog.journal import Journal
from watchdog.model import IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.pair import SimPair
from watchdog.simulator.testing import (
    FAST_TIMING,
    TEST_DR_ID,
    TEST_PAIR_NAME,
    TEST_PROJECT_ID,
    add_test_credentials,
)

pytestmark = pytest.mark.slow
BLOCKED = "dr_watchdog_failover_blocked"


def cli(tmp: Path, *args: str) -> str:
    done = run_cli(*args, tmp=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def completed(daemon: Daemon) -> int:
    with Journal(daemon.config.parent / daemon.stdout_path.stem / "watchdog.db") as journal:
        return sum(1 for i in journal.intents() if i.status is IntentStatus.COMPLETED)


def by_name(daemons: list[Daemon], name: str) -> Daemon:
    return next(d for d in daemons if d.stdout_path.stem == name)


def test_a_pause_through_one_instances_cli_stops_every_instance(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """Three instances; `pause` through a follower's CLI (its own configuration and journal); then
    production fails: the leader does not fail over (blocked: paused), nor does the instance that
    takes over after the leader is killed; `resume` through the same CLI: exactly one POST."""
    with group(tmp_path, "abc", sim_server, etcd) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        old = by_name(daemons, leaders(daemons)[0])
        follower = next(d for d in daemons if d is not old)
        out = cli(tmp_path, "pause", "--config", str(follower.config), "--reason", "game day")
        assert "on every instance" in out
        wait_for(lambda: old.get("/status").json()["pairs"][0]["paused"], 5, "the leader's /status paused")
        shown = json.loads(cli(tmp_path, "status", "--config", str(old.config), "--json"))
        assert shown["shared_state"] == "read" and shown["pairs"][0]["paused"]["reason"] == "game day"
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        wait_for(lambda: old.sample(BLOCKED, pair="sales-dw", reason="paused") == 1, 10, "the leader paused")
        time.sleep(3.0)  # the outage is confirmed in about 1.5 s
        assert simulator.failover_calls(TEST_DR_ID) == []
        old.terminate(signal.SIGKILL)
        rest = [d for d in daemons if d is not old]
        wait_for(lambda: len(leaders(rest)) == 1, LEASE + DEADLINE + 3, "takeover")
        new = by_name(rest, leaders(rest)[0])
        wait_for(
            lambda: new.sample(BLOCKED, pair="sales-dw", reason="paused") == 1, 10, "the new leader paused"
        )
        time.sleep(2.0)
        assert simulator.failover_calls(TEST_DR_ID) == []
        cli(tmp_path, "resume", "--config", str(follower.config))
        wait_for(lambda: simulator.failover_calls(TEST_DR_ID), 20, "the POST after resume")
        time.sleep(3.0)
        assert len(simulator.failover_calls(TEST_DR_ID)) == 1


@pytest.fixture
def fleet() -> Iterator[tuple[Simulator, SimulatorServer, list[SimPair]]]:
    sim = Simulator(time_scale=1.0, seed=7)
    add_test_credentials(sim)
    pairs = [sim.add_pair(TEST_PROJECT_ID, f"dw-{i:02d}", **FAST_TIMING) for i in range(10)]
    with SimulatorServer(sim) as server:
        yield sim, server, pairs


def test_the_brake_counts_the_groups_failovers_across_a_takeover(
    tmp_path: Path, fleet: tuple[Simulator, SimulatorServer, list[SimPair]], etcd: EtcdServer
) -> None:
    """10 pairs fail at once, `max_automatic_failovers: 3`, two instances: the leader fails over 3
    and the brake engages; kill -9 the leader: the new leader, whose own journal has no failover,
    still blocks the other 7 with global_brake (3 POSTs in all); `brake status` through its CLI says
    engaged; `brake reset` through it: 3 more. (The old leader's failovers have completed before it
    is killed, so the new leader's journal holds none of them: only the shared count can block.)"""
    sim, server, pairs = fleet
    names = [p.name for p in pairs]

    def configure(data: dict[str, Any]) -> None:
        data["pairs"] = [{"name": p.name, "disaster_recovery_id": p.disaster_recovery_id} for p in pairs]
        data["ha"].update(max_automatic_failovers=3, brake_window_seconds=3600)

    def braked(d: Daemon) -> list[str]:
        return [n for n in names if d.sample(BLOCKED, pair=n, reason="global_brake") == 1]

    with group(tmp_path, "ab", server, etcd, configure=configure) as daemons:
        wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
        old = by_name(daemons, leaders(daemons)[0])
        new = next(d for d in daemons if d is not old)
        wait_for(lambda: new.sample("dr_watchdog_production_up", pair=names[-1]) == 1, 15, "healthy fleet")
        for pair in pairs:
            sim.fail_cluster(pair.primary_cluster_id)
        wait_for(lambda: len(braked(old)) == 7, 30, "7 pairs blocked by the leader's brake")
        wait_for(lambda: len(sim.failover_calls()) == 3, 10, "3 POSTs")
        wait_for(lambda: completed(old) == 3, 30, "the leader's 3 failovers completed")
        old.terminate(signal.SIGKILL)  # nothing left for the new leader to take over
        wait_for(lambda: leaders([new]) == [new.stdout_path.stem], LEASE + DEADLINE + 3, "takeover")
        wait_for(lambda: len(braked(new)) == 7, 10, "7 pairs blocked by the new leader's brake")
        time.sleep(3.0)
        assert len(sim.failover_calls()) == 3
        assert "ENGAGED" in cli(tmp_path, "brake", "status", "--config", str(new.config))
        out = cli(tmp_path, "brake", "reset", "--config", str(new.config), "--reason", "game day")
        assert "re-enabled" in out
        wait_for(lambda: len(sim.failover_calls()) == 6, 30, "3 more after the reset")
        time.sleep(2.0)
        assert len(sim.failover_calls()) == 6


def _manual_config(tmp: Path, sim: SimulatorServer, etcd_url: str) -> Path:
    data = config_data(sim.url, tmp / "cli" / "watchdog.db", free_port())
    data["ha"] = {"backend": "etcd", "etcd": {"endpoint": etcd_url, "timeout_seconds": 0.4}}
    return write_config(tmp / "cli.yaml", data)


def test_a_manual_failover_is_refused_beside_another_instances_open_intent(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """The shared state holds instance a's open intent for the pair: `dr-watchdog failover` through
    another instance's configuration is refused (exit 3) and sends nothing."""
    store = EtcdStateStore(EtcdClient(etcd.url, timeout=1.0), "/dr-watchdog/state", "/dr-watchdog/leader")
    held = SharedIntent("a", 9, 1, datetime.now(UTC), True, TEST_DR_ID, "p", "d")

    async def put() -> None:
        try:
            await store.update(lambda doc: doc.with_pair(TEST_PAIR_NAME, SharedPair(intent=held)))
        finally:
            await store.aclose()

    asyncio.run(put())
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
    config = _manual_config(tmp_path, sim_server, etcd.url)
    done = run_cli("failover", "--config", str(config), "--pair", TEST_PAIR_NAME, "--yes", tmp=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert simulator.failover_calls(TEST_DR_ID) == []


def test_a_manual_failover_with_the_shared_state_unreadable_needs_force(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """No etcd answers: refused (exit 3, one line naming the shared state); with --force, one POST."""
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
    config = _manual_config(tmp_path, sim_server, f"http://127.0.0.1:{free_port()}")
    cli = ("failover", "--config", str(config), "--pair", TEST_PAIR_NAME, "--yes")
    done = run_cli(*cli, tmp=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "shared state unreadable" in done.stderr and "--force" in done.stderr
    assert simulator.failover_calls(TEST_DR_ID) == []
    forced = run_cli(*cli, "--force", tmp=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1


def test_only_the_leader_notifies_while_the_group_is_seen(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """Two instances in recommend mode, one webhook: production fails, both decide
    failover_warranted, and the webhook hears it once (the leader's), not once per instance."""
    with Receiver() as rx:

        def configure(data: dict[str, Any]) -> None:
            data["policy"]["mode"] = "recommend"
            data["notifications"] = {"webhook": {"url": rx.url + "/drw", "secret": "s3cret-for-tests"}}

        with group(tmp_path, "ab", sim_server, etcd, configure=configure) as daemons:
            wait_for(lambda: len(leaders(daemons)) == 1, 10, "one leader")
            simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)

            def warranted(d: Daemon) -> bool:
                return (
                    d.sample("dr_watchdog_decision", pair=TEST_PAIR_NAME, decision="failover_warranted") == 1
                )

            wait_for(lambda: all(warranted(d) for d in daemons), 15, "both decide failover_warranted")
            time.sleep(2.0)
    names = [json.loads(r.body)["name"] for r in rx.requests]
    assert names == ["failover_warranted"], names
