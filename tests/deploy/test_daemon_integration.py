"""The deploy-facing features wired into the real daemon: sd_notify, signed webhooks and hooks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.deploy.daemon import PAIR, daemon_config, running_daemon, wait_for_sample
from tests.unit.notify.receiver import Receiver
from watchdog.hooks import HookKind
from watchdog.journal import HookRunRecord, Journal
from watchdog.model import IntentStatus
from watchdog.notify import verify
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID

WEBHOOK_SECRET = "integration-webhook-secret"


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def _wait(predicate: object, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _journal_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "watchdog.db"


def _hook_runs(tmp_path: Path) -> list[HookRunRecord]:
    """The hook runs the daemon journaled, read beside it (the journal is shared by design)."""
    if not _journal_path(tmp_path).exists():
        return []
    with Journal(_journal_path(tmp_path)) as journal:
        return journal.hook_runs(PAIR)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m watchdog ARGS` with the caller's DRW_* variables removed (as the daemon fixture does)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRW_", "NOTIFY_SOCKET", "CREDENTIALS_"))}
    cmd = [sys.executable, "-m", "watchdog", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env, check=False)


def _status_json(tmp_path: Path, config: Path | None = None) -> dict[str, Any]:
    """`dr-watchdog status --json` as an operator runs it."""
    cmd = [sys.executable, "-m", "watchdog", "status", "--config", str(config or tmp_path / "watchdog.yaml")]
    done = subprocess.run(
        [*cmd, "--json"], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=True
    )
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def _messages(sock: socket.socket) -> list[str]:
    out: list[str] = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


def test_daemon_speaks_sd_notify(tmp_path: Path, sim_server: SimulatorServer) -> None:
    """Under a NOTIFY_SOCKET the daemon sends READY=1 once, WATCHDOG=1 keep-alives, and STOPPING=1 on stop."""
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.setblocking(False)
        env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"}
        with running_daemon(sim_server.url, tmp_path, environ=env):
            time.sleep(2.5)  # about five keep-alives at half of WatchdogSec=1s
            running = _messages(sock)
        stopped = _messages(sock)
    assert sum(m.startswith("READY=1") for m in running) == 1
    assert running.count("WATCHDOG=1") >= 2
    assert any(m.startswith("STOPPING=1") for m in stopped)


def test_daemon_pushes_a_signed_webhook(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A confirmed outage in recommend mode reaches the webhook once, signed with the configured secret."""
    with Receiver() as rx:
        extra = {"notifications": {"webhook": {"url": rx.url + "/drw", "secret": WEBHOOK_SECRET}}}
        with running_daemon(sim_server.url, tmp_path, extra) as daemon:
            wait_for_sample(daemon, "dr_watchdog_production_up", pair=PAIR)
            assert rx.requests == []
            simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
            _wait(lambda: rx.requests)
            time.sleep(1.5)  # later rounds in the same state are not re-sent before repeat_seconds
    (req,) = rx.requests
    body = json.loads(req.body)
    assert (body["pair"], body["name"], body["resolved"]) == (PAIR, "failover_warranted", False)
    assert body["details"]["expected_data_loss_seconds"] is not None
    ts = req.headers["x-drw-timestamp"]
    assert verify(WEBHOOK_SECRET.encode(), ts, req.body, req.headers["x-drw-signature"], now=time.time())


def test_pre_failover_veto_stops_the_failover(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """In auto mode a vetoing pre-failover hook runs with the pair's facts and no failover is submitted."""
    seen = tmp_path / "veto.env"
    veto = _script(tmp_path, "veto.sh", f"env > {seen}\necho 'change freeze' >&2\nexit 1\n")
    extra = {"hooks": {"pre_failover": {"command": [veto], "timeout_seconds": 5}}}
    with running_daemon(sim_server.url, tmp_path, extra, mode="auto"):
        simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)
        _wait(seen.exists)
        _wait(lambda: _hook_runs(tmp_path))
        time.sleep(2)
        status = _status_json(tmp_path)
    env = dict(line.split("=", 1) for line in seen.read_text().splitlines() if "=" in line)
    assert env["DRW_EVENT"] == "pre_failover" and env["DRW_PAIR"] == PAIR
    assert env["DRW_DISASTER_RECOVERY_ID"] == TEST_DR_ID
    assert simulator.failover_calls() == []
    runs = _hook_runs(tmp_path)
    assert runs and all(r.hook is HookKind.PRE_FAILOVER and r.vetoed for r in runs)
    assert (runs[0].exit_code, runs[0].command, runs[0].stderr_tail) == (1, (veto,), "change freeze\n")
    with Journal(_journal_path(tmp_path)) as journal:
        intent = journal.intent(runs[0].intent_id or 0)
    assert intent.status is IntentStatus.FAILED and intent.sent_at is None
    (shown, *_) = status["pairs"][0]["hook_runs"]  # newest first
    assert (shown["hook"], shown["vetoed"], shown["exit_code"]) == ("pre_failover", True, 1)


def test_post_failover_hook_gets_old_and_new_primary(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """After an automatic failover completes, the post hook gets old and new primary and the data loss."""
    pair = simulator.pair(TEST_DR_ID)
    old_primary, standby = pair.primary_cluster_id, pair.standby_cluster_id
    seen = tmp_path / "post.env"
    post = _script(
        tmp_path, "post.sh", f"env > {seen}.tmp && mv {seen}.tmp {seen}\necho 'dns updated'\nexit 7\n"
    )
    allow = _script(tmp_path, "allow.sh", "exit 0\n")
    extra = {"hooks": {"pre_failover": {"command": [allow]}, "post_failover": {"command": [post]}}}
    with running_daemon(sim_server.url, tmp_path, extra, mode="auto"):
        simulator.fail_cluster(old_primary)
        _wait(seen.exists, timeout=40)
        _wait(lambda: len(_hook_runs(tmp_path)) == 2)
    pre, after = _hook_runs(tmp_path)
    assert (pre.hook, pre.exit_code, pre.vetoed) == (HookKind.PRE_FAILOVER, 0, False)
    assert (after.hook, after.exit_code, after.vetoed) == (HookKind.POST_FAILOVER, 7, False)
    assert after.stdout_tail == "dns updated\n" and after.intent_id == pre.intent_id is not None
    env = dict(line.split("=", 1) for line in seen.read_text().splitlines() if "=" in line)
    assert env["DRW_EVENT"] == "post_failover"
    assert env["DRW_OLD_PRIMARY_CLUSTER_ID"] == old_primary
    assert env["DRW_NEW_PRIMARY_CLUSTER_ID"] == standby
    assert float(env["DRW_EXPECTED_DATA_LOSS_SECONDS"]) >= 0
    assert len(simulator.failover_calls()) == 1


def test_manual_failover_veto_is_journaled(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """`dr-watchdog failover --yes` with a vetoing hook exits 1, sends nothing, and journals the veto."""
    veto = _script(tmp_path, "veto.sh", "echo 'not now' >&2\nexit 4\n")
    extra = {"hooks": {"pre_failover": {"command": [veto], "timeout_seconds": 5}}}
    config = daemon_config(sim_server.url, tmp_path, 1, extra)  # the http port is never opened here
    simulator.fail_cluster(simulator.pair(TEST_DR_ID).primary_cluster_id)  # a healthy one is refused
    done = _cli(tmp_path, "failover", "--config", str(config), "--pair", PAIR, "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert simulator.failover_calls() == []
    (run,) = _hook_runs(tmp_path)
    assert (run.hook, run.exit_code, run.vetoed, run.stderr_tail) == (
        HookKind.PRE_FAILOVER,
        4,
        True,
        "not now\n",
    )
    shown = _status_json(tmp_path, config)["pairs"][0]["hook_runs"]
    assert [(r["id"], r["vetoed"], r["exit_code"]) for r in shown] == [(run.id, True, 4)]
    text = _cli(tmp_path, "status", "--config", str(config)).stdout  # the same, for people
    assert f"last hook: pre_failover at {run.started_at.isoformat()}" in text
    assert "exit 4, VETOED the failover" in text
