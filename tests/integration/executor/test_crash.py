"""SIGKILL the watchdog between each pair of executor steps, restart it: still exactly one failover.

The simulator runs in the test process (it survives the kill); the watchdog is a real subprocess
(`driver.py`) that stops dead at a chosen step until it is killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.executor.driver import DECIDED
from tests.integration.executor.driver_ha import HOOK, LEADER, STATE
from tests.servers.etcd import EtcdServer
from watchdog.failover import Step
from watchdog.ha.etcd import EtcdClient
from watchdog.ha.etcd_state import EtcdStateStore
from watchdog.ha.shared import Shared
from watchdog.journal import Journal
from watchdog.model import IntentStatus
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_DR_ID, TEST_PAIR_NAME

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
Ha = tuple[str, str] | None  # (etcd URL, instance name)


def driver(
    url: str, journal: Path, step: str | None = None, flag: Path | None = None, ha: Ha = None
) -> subprocess.Popen[str]:
    """The driver process; with `ha` (etcd URL, instance name), one instance of an HA group."""
    module = "driver" if ha is None else "driver_ha"
    args = [sys.executable, "-m", f"tests.integration.executor.{module}", url, str(journal), *(ha or ())]
    if step is not None and flag is not None:
        args += [step, str(flag)]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_at(url: str, journal: Path, step: str, tmp_path: Path, ha: Ha = None) -> None:
    """Run the driver until it reaches `step` (a Step value, or `decided`), then SIGKILL it."""
    flag = tmp_path / f"reached-{step}"
    proc = driver(url, journal, step, flag, ha)
    deadline = time.monotonic() + 30
    while not flag.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate(timeout=5)
            pytest.fail(f"driver never reached {step} (rc {proc.returncode}): {out} {err}")
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def restart(url: str, journal: Path, ha: Ha = None) -> str:
    proc = driver(url, journal, ha=ha)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    return out


@pytest.mark.parametrize("step", [Step.INTENDED, Step.POSTED, Step.SUBMITTED, Step.POLLED, Step.FINISHED])
def test_sigkill_between_steps_gives_exactly_one_failover(
    step: Step, sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """Killed right after `step` and restarted, the watchdog completes the failover with one POST in all."""
    simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
    journal = tmp_path / "watchdog.db"
    kill_at(sim_server.url, journal, step.value, tmp_path)
    out = restart(sim_server.url, journal)
    assert "completed" in out
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    assert len(simulator.requests("switch_failover_disaster")) == 1
    with Journal(journal) as j:
        intents = j.intents(TEST_PAIR_NAME)
        state = j.load_state(TEST_PAIR_NAME)
    assert [i.status for i in intents if i.status is IntentStatus.COMPLETED] == [IntentStatus.COMPLETED]
    if step is Step.INTENDED:  # the first intent was provably never sent: closed, and a new one made
        assert [i.status for i in intents] == [IntentStatus.FAILED, IntentStatus.COMPLETED]
        assert intents[0].sent_at is None
    else:
        assert len(intents) == 1
    assert state.latched and state.open_intent_id is None


def test_sigkill_after_the_sent_mark_never_resends(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """Killed after `sent_at` is journaled, before the POST left: unknown, for an operator; never re-sent."""
    simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
    journal = tmp_path / "watchdog.db"
    kill_at(sim_server.url, journal, Step.SENT.value, tmp_path)
    out = restart(sim_server.url, journal)
    assert "unknown" in out
    assert simulator.requests("switch_failover_disaster") == []
    with Journal(journal) as j:
        [intent] = j.intents(TEST_PAIR_NAME)
    assert intent.status is IntentStatus.UNKNOWN and intent.sent_at is not None


def test_sigkill_between_the_decision_and_the_intent_gives_exactly_one_failover(
    sim_server: SimulatorServer, simulator: Simulator, tmp_path: Path
) -> None:
    """Killed after the FAILOVER decision (and its latch) is journaled but before the intent: the
    restart lifts the orphan latch, decides again and fails over once."""
    simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
    journal = tmp_path / "watchdog.db"
    kill_at(sim_server.url, journal, DECIDED, tmp_path)
    with Journal(journal) as j:
        assert j.load_state(TEST_PAIR_NAME).latched and j.intents(TEST_PAIR_NAME) == []
    out = restart(sim_server.url, journal)
    assert "completed" in out
    assert len(simulator.requests("switch_failover_disaster")) == 1
    assert len(simulator.failover_calls(TEST_DR_ID)) == 1
    with Journal(journal) as j:
        assert [i.status for i in j.intents(TEST_PAIR_NAME)] == [IntentStatus.COMPLETED]


# ---- takeover by another instance of an HA group (real etcd) ------------------------------------------
TAKEN_OVER = (Step.POSTED, Step.SUBMITTED, Step.POLLED, Step.FINISHED)


@pytest.mark.parametrize(
    "step",
    [DECIDED, Step.INTENDED.value, HOOK, Step.SENT.value, *(s.value for s in TAKEN_OVER)],
)
def test_sigkill_then_takeover_by_another_instance_gives_at_most_one_post(
    step: str, sim_server: SimulatorServer, simulator: Simulator, etcd: EtcdServer, tmp_path: Path
) -> None:
    """Instance a (the leader) is killed at `step`; instance b, with its own journal, wins the lease
    once a's expires and goes on from the group's shared state: exactly one failover POST in the
    simulator's record (none when a was killed between its sent marks and the POST: that intent ends
    `unknown` for an operator, never re-sent). b takes over a's intent once a may have POSTed it,
    and otherwise fails over itself; either way the shared state ends latched, with no open intent."""
    simulator.fail_cluster(simulator.pairs[TEST_DR_ID].primary.id)
    kill_at(sim_server.url, tmp_path / "a.db", step, tmp_path, (etcd.url, "a"))
    out = restart(sim_server.url, tmp_path / "b.db", (etcd.url, "b"))
    posts = len(simulator.requests("switch_failover_disaster"))
    assert posts == (0 if step == Step.SENT.value else 1), out
    assert len(simulator.failover_calls(TEST_DR_ID)) == posts
    with Journal(tmp_path / "b.db") as j:
        [intent] = [i for i in j.intents(TEST_PAIR_NAME) if i.sent_at is not None]
    adopted = step == Step.SENT.value or step in {s.value for s in TAKEN_OVER}
    assert intent.requested_by == ("taken over from a" if adopted else "watchdog")
    expected = IntentStatus.UNKNOWN if step == Step.SENT.value else IntentStatus.COMPLETED
    assert intent.status is expected and expected.value in out
    shared = asyncio.run(_load(etcd.url))
    assert shared.pair(TEST_PAIR_NAME).intent is None and shared.pair(TEST_PAIR_NAME).latched_at is not None


async def _load(url: str) -> Shared:
    store = EtcdStateStore(EtcdClient(url, timeout=1.0), STATE, LEADER)
    try:
        return await store.load()
    finally:
        await store.aclose()
