"""Hook runs in the journal, on real SQLite files with real shell-script hooks; the v1 -> v2 migration."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.unit.policy.builders import FAST, PAIR, at, observation
from watchdog.hooks import (
    OUTPUT_LIMIT,
    HookCommand,
    HookContext,
    HookKind,
    HookResult,
    HookRunner,
    HookSettings,
)
from watchdog.journal import Journal
from watchdog.journal.schema import MIGRATIONS, SCHEMA_VERSION
from watchdog.model import Verdict
from watchdog.policy import evaluate

CONTEXT = HookContext(
    pair=PAIR,
    disaster_recovery_id="dr-1",
    old_primary_cluster_id="prod-1",
    new_primary_cluster_id="dr-2",
    expected_data_loss_seconds=12.0,
    intent_id=4,
)


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def _run(kind: HookKind, command: list[str], timeout: float = 10, **env: str) -> HookResult:
    hook = HookCommand(command=command, timeout_seconds=timeout, env=env)
    runner = HookRunner(HookSettings(pre_failover=hook, post_failover=hook))
    run = runner.pre_failover if kind is HookKind.PRE_FAILOVER else runner.post_failover
    result = asyncio.run(run(CONTEXT))
    assert result is not None
    return result


def test_a_veto_is_journaled_with_argv_exit_code_and_output(tmp_path: Path) -> None:
    """A vetoing pre hook's run comes back from the journal: argv, exit code, vetoed, stderr tail, time."""
    veto = _script(tmp_path, "veto.sh", "echo 'change freeze' >&2\nexit 3\n")
    result = _run(HookKind.PRE_FAILOVER, [veto, "--strict"])
    with Journal(tmp_path / "j.db") as journal:
        run_id = journal.record_hook_run(PAIR, 4, result)
    with Journal(tmp_path / "j.db") as journal:  # durable: a second connection reads it
        (run,) = journal.hook_runs(PAIR)
    assert run.id == run_id and (run.pair, run.intent_id, run.hook) == (PAIR, 4, HookKind.PRE_FAILOVER)
    assert run.command == (veto, "--strict")
    assert (run.exit_code, run.timed_out, run.vetoed, run.could_not_start) == (3, False, True, False)
    assert run.stderr_tail == "change freeze\n" and run.stdout_tail == ""
    assert run.started_at == result.started_at and 0 <= run.duration_seconds < 5


def test_allowing_pre_hook_and_failing_post_hook_are_not_vetoes(tmp_path: Path) -> None:
    """Exit 0 before and exit 7 after are both recorded, neither as a veto; the post hook keeps its code."""
    allow = _script(tmp_path, "allow.sh", "echo ok\n")
    post = _script(tmp_path, "post.sh", "exit 7\n")
    with Journal(tmp_path / "j.db") as journal:
        journal.record_hook_run(PAIR, 4, _run(HookKind.PRE_FAILOVER, [allow]))
        journal.record_hook_run(PAIR, 4, _run(HookKind.POST_FAILOVER, [post]))
        pre, after = journal.hook_runs(PAIR, intent_id=4)
    assert (pre.hook, pre.exit_code, pre.vetoed, pre.stdout_tail) == (HookKind.PRE_FAILOVER, 0, False, "ok\n")
    assert (after.hook, after.exit_code, after.vetoed) == (HookKind.POST_FAILOVER, 7, False)


def test_timeout_and_cannot_start_are_vetoes_without_an_exit_code(tmp_path: Path) -> None:
    """A hook that timed out and one that could not start are both journaled as vetoes, each saying which."""
    slow = _script(tmp_path, "slow.sh", "sleep 30\n")
    with Journal(tmp_path / "j.db") as journal:
        journal.record_hook_run(PAIR, 1, _run(HookKind.PRE_FAILOVER, [slow], timeout=0.3))
        journal.record_hook_run(PAIR, 2, _run(HookKind.PRE_FAILOVER, [str(tmp_path / "missing")]))
        timed, missing = journal.hook_runs(PAIR)
    assert (timed.exit_code, timed.timed_out, timed.vetoed, timed.could_not_start) == (
        None,
        True,
        True,
        False,
    )
    assert (missing.exit_code, missing.timed_out, missing.vetoed) == (None, False, True)
    assert missing.could_not_start and missing.error is not None and "missing" in missing.error


def test_the_environment_is_never_journaled(tmp_path: Path) -> None:
    """The hook's extra environment (an operator may put a token there) appears nowhere in the file."""
    hook = _script(tmp_path, "quiet.sh", "exit 0\n")
    result = _run(HookKind.POST_FAILOVER, [hook], API_TOKEN="hook-env-secret-value")
    with Journal(tmp_path / "j.db") as journal:
        journal.record_hook_run(PAIR, 1, result)
    raw = sqlite3.connect(tmp_path / "j.db")
    try:
        rows = raw.execute("SELECT * FROM hook_runs").fetchall()
    finally:
        raw.close()
    assert len(rows) == 1 and "hook-env-secret-value" not in repr(rows) and "API_TOKEN" not in repr(rows)


def test_output_tail_is_bounded(tmp_path: Path) -> None:
    """A chatty hook leaves at most OUTPUT_LIMIT characters of each stream, the end kept."""
    chatty = _script(tmp_path, "chatty.sh", "head -c 50000 /dev/zero | tr '\\0' x\necho END\n")
    with Journal(tmp_path / "j.db") as journal:
        journal.record_hook_run(PAIR, 1, _run(HookKind.POST_FAILOVER, [chatty]))
        (run,) = journal.hook_runs(PAIR)
    assert len(run.stdout_tail) <= OUTPUT_LIMIT and run.stdout_tail.endswith("xxEND\n")


def test_reader_filters_and_keeps_the_newest(tmp_path: Path) -> None:
    """hook_runs filters by pair and intent and returns the newest `limit`, oldest first."""
    ok = _run(HookKind.PRE_FAILOVER, [_script(tmp_path, "ok.sh", "exit 0\n")])
    with Journal(tmp_path / "j.db") as journal:
        ids = [journal.record_hook_run(PAIR, i, ok) for i in range(1, 5)]
        journal.record_hook_run("other-pair", 9, ok)
        assert [r.id for r in journal.hook_runs(PAIR, limit=2)] == ids[2:]
        assert [r.intent_id for r in journal.hook_runs(intent_id=9)] == [9]
        assert len(journal.hook_runs()) == 5


def _journal_at_version_1(path: Path) -> None:
    """A journal file exactly as the previous program (schema version 1) left it, with a decision in it."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("BEGIN")
        raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for sql in MIGRATIONS[0][1]:
            raw.execute(sql)
        raw.execute("INSERT INTO schema_version (version) VALUES (1)")
        raw.execute(
            "INSERT INTO pair_state (pair, consecutive_down, first_down_at) VALUES (?, 2, 1000000)", (PAIR,)
        )
        raw.execute(
            "INSERT INTO intents (pair, disaster_recovery_id, status, created_at, requested_by) "
            "VALUES (?, 'dr-1', 'completed', 2000000, 'watchdog')",
            (PAIR,),
        )
        raw.execute("COMMIT")
    finally:
        raw.close()


def test_version_1_journal_upgrades_cleanly(tmp_path: Path) -> None:
    """A journal at the previous schema version opens at the new one, keeps its rows, and takes hook runs."""
    path = tmp_path / "old.db"
    _journal_at_version_1(path)
    with Journal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION == 8
        state = journal.load_state(PAIR)
        assert state.consecutive_down == 2 and journal.intent(1).pair == PAIR
        assert journal.hook_runs(PAIR) == []
        ok = _run(HookKind.PRE_FAILOVER, [_script(tmp_path, "ok.sh", "exit 0\n")])
        journal.record_hook_run(PAIR, 1, ok)
        obs = observation(at(0), Verdict.DOWN)
        ev = evaluate(obs, state, FAST, at(0))
        journal.record(obs, ev.decision, ev.next_state, state_before=state)  # old tables still written
    with Journal(path) as again:  # reopening at the newest version migrates nothing twice
        assert again.schema_version == SCHEMA_VERSION
        assert [r.intent_id for r in again.hook_runs(PAIR)] == [1]
        assert len(again.decisions(PAIR)) == 1
