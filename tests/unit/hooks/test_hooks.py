"""Pre-failover veto and post-failover hooks, run as real commands (tiny shell scripts)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from watchdog.hooks import HookCommand, HookContext, HookKind, HookResult, HookRunner, HookSettings

CONTEXT = HookContext(
    pair="sales-dw",
    disaster_recovery_id="9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c",
    old_primary_cluster_id="prod-cluster-1",
    new_primary_cluster_id="dr-cluster-2",
    expected_data_loss_seconds=412.4,
    intent_id=7,
    first_down_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    outcome="completed",
)


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def _pre(command: list[str], timeout: float = 10) -> HookResult | None:
    runner = HookRunner(HookSettings(pre_failover=HookCommand(command=command, timeout_seconds=timeout)))
    return asyncio.run(runner.pre_failover(CONTEXT))


def _post(command: list[str]) -> HookResult | None:
    runner = HookRunner(HookSettings(post_failover=HookCommand(command=command, env={"TEAM": "dba"})))
    return asyncio.run(runner.post_failover(CONTEXT))


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_pre_hook_exit_zero_allows(tmp_path: Path) -> None:
    """A pre-failover hook that exits 0 lets the failover go ahead, with its output recorded."""
    result = _pre([_script(tmp_path, "ok.sh", 'echo "checks passed for $DRW_PAIR"\n')])
    assert result is not None and result.allowed and result.succeeded
    assert result.stdout == "checks passed for sales-dw\n"
    assert result.as_record()["summary"].startswith("pre_failover ok: exit 0")


def test_pre_hook_nonzero_exit_vetoes(tmp_path: Path) -> None:
    """A non-zero exit vetoes the failover, and the record says why."""
    result = _pre([_script(tmp_path, "no.sh", "echo 'app team says no' >&2\nexit 3\n")])
    assert result is not None and not result.allowed
    assert result.exit_code == 3
    assert result.stderr == "app team says no\n"
    assert result.summary.startswith("pre_failover vetoed: exit 3")


def test_pre_hook_timeout_vetoes_and_kills_the_group(tmp_path: Path) -> None:
    """A hook that outlives its timeout vetoes, and it and its children are killed."""
    pids = tmp_path / "pids"
    body = f"sleep 60 &\necho $! >> {pids}\necho $$ >> {pids}\necho started\nwait\n"
    result = _pre([_script(tmp_path, "slow.sh", body)], timeout=0.5)
    assert result is not None and not result.allowed and result.timed_out
    assert result.exit_code is None
    assert result.stdout == "started\n"
    assert 0.4 < result.duration_seconds < 5
    for pid in map(int, pids.read_text().split()):
        assert not _running(pid), pid


def test_pre_hook_that_cannot_start_vetoes(tmp_path: Path) -> None:
    """A missing or non-executable command vetoes (fail closed) with a clear error."""
    result = _pre([str(tmp_path / "missing-hook")])
    assert result is not None and not result.allowed
    assert result.error is not None and "cannot start" in result.error and "missing-hook" in result.error


def test_post_hook_gets_the_failover_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The post hook sees pair, DR id, old and new primary and expected data loss, and no daemon secret."""
    monkeypatch.setenv("DRW_CLOUD__SECRET_KEY", "super-secret-sk-value")
    dump = tmp_path / "env.txt"
    result = _post([_script(tmp_path, "post.sh", f"env > {dump}\n")])
    assert result is not None and result.succeeded
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines())
    assert env["DRW_EVENT"] == "post_failover"
    assert env["DRW_PAIR"] == "sales-dw"
    assert env["DRW_DISASTER_RECOVERY_ID"] == "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"
    assert env["DRW_OLD_PRIMARY_CLUSTER_ID"] == "prod-cluster-1"
    assert env["DRW_NEW_PRIMARY_CLUSTER_ID"] == "dr-cluster-2"
    assert env["DRW_EXPECTED_DATA_LOSS_SECONDS"] == "412"
    assert env["DRW_OUTCOME"] == "completed"
    assert env["DRW_INTENT_ID"] == "7"
    assert env["TEAM"] == "dba"
    assert "super-secret-sk-value" not in dump.read_text()
    assert "DRW_CLOUD__SECRET_KEY" not in env


def test_post_hook_failure_is_recorded_not_blocking(tmp_path: Path) -> None:
    """A failing post hook is recorded as failed but never counts as a veto."""
    result = _post([_script(tmp_path, "fail.sh", "exit 1\n")])
    assert result is not None and result.allowed and not result.succeeded
    assert result.kind is HookKind.POST_FAILOVER
    assert result.summary.startswith("post_failover failed: exit 1")


def test_output_is_bounded(tmp_path: Path) -> None:
    """Only the last 4 KiB of a chatty hook's output is kept for the audit trail."""
    result = _pre([_script(tmp_path, "chatty.sh", "head -c 100000 /dev/zero | tr '\\0' x\necho END\n")])
    assert result is not None and len(result.stdout) == 4096 and result.stdout.endswith("END\n")


def test_unconfigured_hooks_return_none() -> None:
    """With no hooks configured nothing runs and nothing vetoes."""
    runner = HookRunner(HookSettings())
    assert asyncio.run(runner.pre_failover(CONTEXT)) is None
    assert asyncio.run(runner.post_failover(CONTEXT)) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"pre_failover": {"command": []}}, "command"),
        ({"pre_failover": {"command": ["/bin/true"], "timeout": 5}}, "timeout"),
        ({"post_failover": {"command": ["/bin/true"], "timeout_seconds": 0}}, "timeout_seconds"),
        ({"pre_failure": {"command": ["/bin/true"]}}, "pre_failure"),
    ],
)
def test_settings_reject_bad_input(data: dict[str, object], field: str) -> None:
    """Unknown keys and bad values are errors naming the field."""
    with pytest.raises(ValidationError) as info:
        HookSettings.model_validate(data)
    assert field in str(info.value)


def test_hooks_run_in_their_own_session(tmp_path: Path) -> None:
    """A hook runs in a new session, so a timeout kill cannot reach the daemon's own process group."""
    out = tmp_path / "sid"
    result = _post([_script(tmp_path, "sid.sh", f"ps -o sid= -p $$ > {out}\n")])
    assert result is not None and result.succeeded
    assert int(out.read_text()) != os.getsid(0)
