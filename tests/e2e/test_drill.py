"""Planned switchovers and drills against the simulator with the daemon (auto mode) running beside:
one /switchover POST per leg, the times journaled, the daemon never taking the drill for an outage;
refused in unsafe states; a drill killed with SIGKILL mid-leg and run again never switches twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import (
    child_env,
    config_data,
    free_port,
    run_cli,
    running_daemon,
    wait_for,
    write_config,
)
from tests.servers.etcd import EtcdServer
from tests.servers.kube_api import KubeApiServer
from watchdog.ha.etcd import EtcdClient
from watchdog.journal import Journal
from watchdog.model import Verdict
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.model import Operation
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow
FAST = ("--yes", "--poll", "0.2", "--wait", "30")


def _config(tmp: Path, server: SimulatorServer) -> tuple[Path, int]:
    port = free_port()
    return write_config(tmp / "watchdog.yaml", config_data(server.url, tmp / "state" / "w.db", port)), port


def _switches(sim: Simulator) -> int:
    return len(sim.action_calls(Operation.SWITCHOVER_DISASTER_RECOVERY, TEST_DR_ID))


def _cli(config: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--config", str(config), "--pair", TEST_PAIR_NAME, tmp=tmp)


def test_drill_there_and_back_beside_the_daemon(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    config, port = _config(tmp_path, sim_server)
    first = simulator.pair(TEST_DR_ID).primary_cluster_id
    with running_daemon(config, port, tmp_path) as daemon:
        done = _cli(config, tmp_path, "drill", "--back", *FAST)
        assert done.returncode == 0, done.stderr
        assert "leg 1/2" in done.stdout and "leg 2/2" in done.stdout and "switched in" in done.stdout
        assert _switches(simulator) == 2  # one POST per leg
        assert simulator.pair(TEST_DR_ID).primary_cluster_id == first  # and back
        assert daemon.sample("dr_watchdog_failovers_total", result="submitted", pair=TEST_PAIR_NAME) == 0
        assert daemon.terminate() == 0
    assert simulator.failover_calls() == []
    with Journal(tmp_path / "state" / "w.db") as journal:
        legs = journal.switches(TEST_PAIR_NAME)
        decisions = journal.decisions(TEST_PAIR_NAME)
    assert [(leg.leg, leg.status) for leg in legs] == [(1, "completed"), (2, "completed")]
    assert all(leg.sent_at and leg.switched_at and leg.answered_at for leg in legs)
    assert legs[0].drill_id == legs[1].drill_id == legs[0].id
    assert all(d.decision.verdict is not Verdict.DOWN for d in decisions)  # never an outage


def test_switchover_refused_when_unsafe(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    config, _ = _config(tmp_path, sim_server)
    prod = simulator.pair(TEST_DR_ID).primary_cluster_id
    simulator.fail_cluster(prod)
    done = _cli(config, tmp_path, "switchover", *FAST)
    assert done.returncode == 3 and "not UP" in done.stderr
    simulator.recover_cluster(prod)
    assert _cli(config, tmp_path, "pause", "--reason", "freeze").returncode == 0
    done = _cli(config, tmp_path, "drill", *FAST)
    assert done.returncode == 3 and "paused" in done.stderr
    done = run_cli(
        "drill", "--config", str(config), "--pair", TEST_PAIR_NAME, tmp=tmp_path
    )  # no --yes, no tty
    assert done.returncode == 4
    assert _switches(simulator) == 0


def test_a_drill_killed_mid_leg_never_switches_twice(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    simulator.configure_pair(TEST_DR_ID, switchover_seconds=3.0)
    config, _ = _config(tmp_path, sim_server)
    argv = [
        sys.executable,
        "-m",
        "watchdog",
        "drill",
        "--back",
        *FAST,
        "--config",
        str(config),
        "--pair",
        TEST_PAIR_NAME,
    ]
    proc = subprocess.Popen(
        argv, env=child_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: _switches(simulator) == 1, 30, "the first leg's POST")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    with Journal(tmp_path / "state" / "w.db") as journal:
        assert [leg.status for leg in journal.switches(TEST_PAIR_NAME)] == ["sent"]
    done = _cli(config, tmp_path, "drill", "--back", *FAST)
    assert done.returncode == 0, done.stderr
    assert "resuming switch" in done.stdout
    assert _switches(simulator) == 2  # leg 1 followed, not resent; leg 2 sent once
    with Journal(tmp_path / "state" / "w.db") as journal:
        assert [leg.status for leg in journal.switches(TEST_PAIR_NAME)] == ["completed", "completed"]
    done = _cli(config, tmp_path, "drill", *FAST)  # a finished drill: the next is a new one
    assert done.returncode == 0 and _switches(simulator) == 3


def test_the_failover_hooks_run_around_each_leg(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A vetoing pre-failover hook stops the leg before its POST; allowing hooks run before and
    after it (DRW_ACTION=switchover) and are journaled."""
    port = free_port()
    seen = tmp_path / "seen"
    data = config_data(sim_server.url, tmp_path / "state" / "w.db", port)
    data["hooks"] = {"pre_failover": {"command": ["false"]}}
    config = write_config(tmp_path / "watchdog.yaml", data)
    done = _cli(config, tmp_path, "switchover", *FAST)
    assert done.returncode == 3 and "vetoed" in done.stderr
    assert _switches(simulator) == 0
    script = tmp_path / "hook.sh"
    script.write_text(f'#!/bin/sh\necho "$DRW_EVENT $DRW_ACTION $DRW_OUTCOME" >> {seen}\n')
    script.chmod(0o755)
    data["hooks"] = {"pre_failover": {"command": [str(script)]}, "post_failover": {"command": [str(script)]}}
    write_config(config, data)
    done = _cli(config, tmp_path, "switchover", *FAST)
    assert done.returncode == 0, done.stderr
    assert _switches(simulator) == 1
    lines = [line.strip() for line in seen.read_text().splitlines()]
    assert lines == ["pre_failover switchover", "post_failover switchover completed"]
    with Journal(tmp_path / "state" / "w.db") as journal:
        assert [r.hook.value for r in journal.hook_runs(TEST_PAIR_NAME)] == [
            "pre_failover",
            "pre_failover",
            "post_failover",
        ]


def test_no_drill_while_a_watchdog_instance_holds_the_lease(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer, etcd: EtcdServer
) -> None:
    """With ha.backend etcd against a real etcd: refused while some instance holds the leader key
    and while etcd cannot be read; allowed (one POST) once nobody holds it."""
    data = config_data(sim_server.url, tmp_path / "state" / "w.db", free_port())
    data["ha"] = {"backend": "etcd", "etcd": {"endpoint": etcd.url, "timeout_seconds": 0.4}}
    config = write_config(tmp_path / "watchdog.yaml", data)

    async def hold() -> int:
        client = EtcdClient(etcd.url, timeout=2.0)
        try:
            lease = await client.grant(30)
            assert await client.create("/dr-watchdog/leader", "w1/4242", lease) is not None
            return lease
        finally:
            await client.aclose()

    async def release(lease: int) -> None:
        client = EtcdClient(etcd.url, timeout=2.0)
        try:
            await client.revoke(lease)
        finally:
            await client.aclose()

    lease = asyncio.run(hold())
    done = _cli(config, tmp_path, "drill", *FAST)
    assert done.returncode == 3 and "w1/4242 holds the leader lease" in done.stderr
    asyncio.run(release(lease))
    data["ha"]["etcd"]["endpoint"] = f"http://127.0.0.1:{free_port()}"  # nobody answers there
    write_config(config, data)
    done = _cli(config, tmp_path, "drill", *FAST)
    assert done.returncode == 3 and "cannot read the leader lease" in done.stderr
    assert _switches(simulator) == 0
    data["ha"]["etcd"]["endpoint"] = etcd.url
    write_config(config, data)
    done = _cli(config, tmp_path, "drill", *FAST)
    assert done.returncode == 0, done.stderr
    assert _switches(simulator) == 1


def test_no_drill_while_a_watchdog_instance_holds_the_kubernetes_lease(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """With ha.backend kubernetes (the fake API server): refused while the Lease names a holder and
    while the API server refuses the token; allowed (one POST) once the Lease is released."""
    with KubeApiServer() as api:
        token = tmp_path / "token"
        token.write_text(api.token)
        data = config_data(sim_server.url, tmp_path / "state" / "w.db", free_port())
        kube = {"api_url": api.url, "namespace": "drw", "token_path": str(token), "timeout_seconds": 0.4}
        data["ha"] = {"backend": "kubernetes", "kubernetes": kube}
        config = write_config(tmp_path / "watchdog.yaml", data)
        lease = {"metadata": {"name": "dr-watchdog"}, "spec": {"holderIdentity": "w1/4242"}}
        path = "/apis/coordination.k8s.io/v1/namespaces/drw/leases"
        assert api.handle("POST", path, f"Bearer {api.token}", lease)[0] == 201
        done = _cli(config, tmp_path, "drill", *FAST)
        assert done.returncode == 3 and "w1/4242 holds the leader lease" in done.stderr
        token.write_text("wrong-token")
        done = _cli(config, tmp_path, "drill", *FAST)
        assert done.returncode == 3 and "cannot read the leader lease" in done.stderr
        assert "wrong-token" not in done.stderr and _switches(simulator) == 0
        token.write_text(api.token)
        api.put_as("drw", "leases", "dr-watchdog", lambda obj: obj["spec"].update(holderIdentity=""))
        done = _cli(config, tmp_path, "drill", *FAST)
        assert done.returncode == 0, done.stderr
        assert _switches(simulator) == 1
