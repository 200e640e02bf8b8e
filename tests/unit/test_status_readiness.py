"""`status` answers readiness from the journal: the latest round, the pair's state now, its policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.policy.builders import FAST, PAIR, at, observation
from watchdog.commands import _print_readiness
from watchdog.journal import Journal
from watchdog.model import Verdict
from watchdog.policy import evaluate
from watchdog.readiness import mode_note
from watchdog.status import pair_status


def test_status_readiness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Journal(tmp_path / "j.db") as journal:
        assert pair_status(journal, PAIR, at(0))["failover_readiness"] is None  # no round yet
        obs = observation(at(0), Verdict.UP, task_status="running")
        state = journal.load_state(PAIR, at(0))
        ev = evaluate(obs, state, FAST, at(0))
        journal.record(obs, ev.decision, ev.next_state, state_before=state)
        ready = pair_status(journal, PAIR, at(5))["failover_readiness"]
        assert ready == {"ready": True, "reasons": [], "rpo_margin_seconds": 540.0, "mode": mode_note(FAST)}
        journal.pause(PAIR, "patching", "ann@ops", at(6))
        held = pair_status(journal, PAIR, at(7))["failover_readiness"]
    assert held["ready"] is False and [r["code"] for r in held["reasons"]] == ["paused"]
    _print_readiness(ready)
    _print_readiness(held)
    out = capsys.readouterr().out
    assert "failover ready: yes (RPO margin 540 s; mode auto: the watchdog fails over by itself)" in out
    assert "failover NOT READY (RPO margin 540 s; mode auto: the watchdog" in out
    assert out.rstrip().endswith("paused by ann@ops: patching")
