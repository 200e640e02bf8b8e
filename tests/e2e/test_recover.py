"""`dr-watchdog recover` against the simulator after a real failover by the daemon: refused in every
unsafe state, accepted in the safe one, exactly one /recovery POST, and never again for that failover.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.harness import config_data, free_port, run_cli, running_daemon, wait_for, write_config
from watchdog.journal import Journal
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.model import Operation
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow
PAIR = {"pair": TEST_PAIR_NAME}


def _recover(config: Path, tmp: Path, *confirm: str) -> tuple[int, str, str]:
    done = run_cli(
        "recover",
        "--config",
        str(config),
        "--pair",
        TEST_PAIR_NAME,
        *confirm,
        "--poll",
        "0.2",
        "--wait",
        "30",
        tmp=tmp,
    )
    return done.returncode, done.stdout, done.stderr


def _recoveries(sim: Simulator) -> int:
    return len(sim.action_calls(Operation.RESTORE_DISASTER, TEST_DR_ID))


def _failed_over(
    tmp: Path, sim: Simulator, server: SimulatorServer, before: Callable[[Path, str], None]
) -> tuple[Path, str]:
    """The daemon (auto mode) fails production over; `before(config, old)` runs while all is well.
    The config and the old production's cluster id."""
    port = free_port()
    config = write_config(tmp / "watchdog.yaml", config_data(server.url, tmp / "state" / "w.db", port))
    old = sim.pair(TEST_DR_ID).primary_cluster_id
    with running_daemon(config, port, tmp) as daemon:
        before(config, old)
        sim.fail_cluster(old)
        wait_for(
            lambda: daemon.sample("dr_watchdog_failovers_total", result="completed", **PAIR) == 1,
            60,
            "failover",
        )
        time.sleep(1.0)
        assert daemon.terminate() == 0
    return config, old


def test_recover_is_guarded_and_sent_once(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    def nothing_to_recover(config: Path, old: str) -> None:
        code, _, err = _recover(config, tmp_path, "--confirm-pair", TEST_PAIR_NAME, "--confirm-cluster", old)
        assert code == 3 and "no completed failover" in err  # nothing failed over yet

    config, old = _failed_over(tmp_path, simulator, sim_server, nothing_to_recover)
    right = ("--confirm-pair", TEST_PAIR_NAME, "--confirm-cluster", old)
    code, _, err = _recover(config, tmp_path, *right)
    assert code == 3 and "not AVAILABLE" in err and old in err  # the old production is still down
    simulator.recover_cluster(old)
    for wrong in (
        ("--confirm-pair", TEST_PAIR_NAME, "--confirm-cluster", "x"),
        ("--confirm-pair", "x", "--confirm-cluster", old),
    ):
        code, out, err = _recover(config, tmp_path, *wrong)
        assert code == 4 and "not confirmed" in err
        assert "deletes every piece of data on cluster " + old in out and "never synced" in out
    code, _, err = _recover(config, tmp_path, "--confirm-pair", TEST_PAIR_NAME)  # half a confirmation
    assert code == 4
    assert _recoveries(simulator) == 0
    code, out, err = _recover(config, tmp_path, *right)
    assert code == 0, err
    assert "completed" in out and "dr-watchdog ack" in out
    assert _recoveries(simulator) == 1
    code, _, err = _recover(config, tmp_path, *right)
    assert code == 3 and "already recovered" in err
    assert _recoveries(simulator) == 1
    with Journal(tmp_path / "state" / "w.db") as journal:
        assert journal.load_state(TEST_PAIR_NAME).latched  # re-armed only by ack
        assert [r.status for r in journal.recoveries(TEST_PAIR_NAME)] == ["completed"]


def test_an_unfinished_recovery_is_never_sent_again(
    tmp_path: Path, simulator: Simulator, sim_server: SimulatorServer
) -> None:
    """A crash after the journal row and before the answer (the row left `sent`): refused, no POST."""
    config, old = _failed_over(tmp_path, simulator, sim_server, lambda _c, _o: None)
    simulator.recover_cluster(old)
    with Journal(tmp_path / "state" / "w.db") as journal:
        intent = journal.latest_intent(TEST_PAIR_NAME)
        assert intent is not None
        row = journal.create_recovery(
            TEST_PAIR_NAME, TEST_DR_ID, intent.id, old, "crashed@host", intent.created_at
        )
        journal.mark_recovery(row.id, "sent", intent.created_at)
    code, _, err = _recover(config, tmp_path, "--confirm-pair", TEST_PAIR_NAME, "--confirm-cluster", old)
    assert code == 3 and f"recovery {row.id} is not finished" in err
    assert _recoveries(simulator) == 0
