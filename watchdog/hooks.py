"""Operator hooks around a failover: a pre-failover veto and a post-failover action.

`pre_failover` runs after the watchdog decided to fail over and before the API is called: exit 0
allows; a non-zero exit, a timeout or a command that cannot start vetoes (fail closed: a check that
could not run did not pass). `post_failover` runs when the failover has finished, to repoint DNS
or clients; its result is recorded but changes nothing. Both run without a shell, in their own
process group (a timeout kills the whole group), with a small fixed environment plus the failover's
facts as `DRW_*` variables; the daemon's own environment (which may hold cloud secrets) is never
passed on. The executor records every `HookResult` in the audit trail (`as_record()`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from watchdog.clock import Clock, SystemClock

OUTPUT_LIMIT = 4096  # bytes of stdout/stderr kept for the audit trail
REAP_SECONDS = 5.0  # after a timeout kill: how long to wait for the output and the exit status
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class HookCommand(BaseModel):
    """One command: argv (no shell), its timeout and extra environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: list[str] = Field(min_length=1)
    """argv, e.g. ["/usr/local/bin/dr-precheck", "--strict"]; no shell is involved."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    """Kill the command (and its process group) after this; for pre_failover a timeout vetoes."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the command (not secret: check-config shows them)."""


class HookSettings(BaseModel):
    """The `hooks` section: both hooks are optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pre_failover: HookCommand | None = None
    """Veto command run before the failover API call (non-zero exit or timeout = veto)."""
    post_failover: HookCommand | None = None
    """Command run after the failover finished, e.g. to repoint DNS or clients."""


class HookKind(StrEnum):
    """Which hook ran."""

    PRE_FAILOVER = "pre_failover"
    POST_FAILOVER = "post_failover"


@dataclass(frozen=True)
class HookContext:
    """The failover's facts handed to a hook as DRW_* environment variables."""

    pair: str
    disaster_recovery_id: str
    old_primary_cluster_id: str | None
    new_primary_cluster_id: str | None
    expected_data_loss_seconds: float | None
    intent_id: int | None = None
    first_down_at: datetime | None = None
    manual: bool = False
    forced: bool = False
    outcome: str | None = None  # post_failover: completed | failed | unknown
    action: str = "failover"  # or "switchover": a planned switchover or a drill leg (`dr-watchdog drill`)

    def environment(self, kind: HookKind) -> dict[str, str]:
        """The DRW_* variables (empty string for an unknown value)."""
        loss = self.expected_data_loss_seconds
        values: Mapping[str, object | None] = {
            "DRW_EVENT": kind.value,
            "DRW_PAIR": self.pair,
            "DRW_DISASTER_RECOVERY_ID": self.disaster_recovery_id,
            "DRW_OLD_PRIMARY_CLUSTER_ID": self.old_primary_cluster_id,
            "DRW_NEW_PRIMARY_CLUSTER_ID": self.new_primary_cluster_id,
            "DRW_EXPECTED_DATA_LOSS_SECONDS": None if loss is None else f"{loss:.0f}",
            "DRW_INTENT_ID": self.intent_id,
            "DRW_FIRST_DOWN_AT": self.first_down_at.isoformat() if self.first_down_at else None,
            "DRW_MANUAL": int(self.manual),
            "DRW_FORCED": int(self.forced),
            "DRW_OUTCOME": self.outcome,
            "DRW_ACTION": self.action,
        }
        return {k: "" if v is None else str(v) for k, v in values.items()}


@dataclass(frozen=True)
class HookResult:
    """What a hook did, for the audit trail. `allowed` is False when a pre_failover hook vetoed."""

    kind: HookKind
    command: tuple[str, ...]
    started_at: datetime
    duration_seconds: float
    exit_code: int | None
    timed_out: bool
    error: str | None
    stdout: str
    stderr: str

    @property
    def succeeded(self) -> bool:
        """Exit 0 within the timeout."""
        return self.exit_code == 0 and not self.timed_out and self.error is None

    @property
    def allowed(self) -> bool:
        """For pre_failover: whether the failover may go ahead (a post hook never blocks)."""
        return self.kind is HookKind.POST_FAILOVER or self.succeeded

    @property
    def summary(self) -> str:
        """One line for logs and the audit trail, e.g. 'pre_failover vetoed: exit 3 after 0.2 s'."""
        verdict = "ok" if self.succeeded else ("vetoed" if not self.allowed else "failed")
        if self.timed_out:
            why = "timed out"
        elif self.error is not None:
            why = self.error
        else:
            why = f"exit {self.exit_code}"
        return f"{self.kind.value} {verdict}: {why} after {self.duration_seconds:.1f} s"

    def as_record(self) -> dict[str, Any]:
        """JSON-safe dict for the journal's audit trail."""
        return {
            "hook": self.kind.value,
            "command": list(self.command),
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 3),
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "error": self.error,
            "allowed": self.allowed,
            "summary": self.summary,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


def _tail(data: bytes) -> str:
    return data[-OUTPUT_LIMIT:].decode("utf-8", errors="replace")


class HookRunner:
    """Runs the configured hooks. Methods return None when the hook is not configured."""

    def __init__(self, settings: HookSettings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()

    async def pre_failover(self, context: HookContext) -> HookResult | None:
        """Run the veto hook; the failover may proceed only if this is None or `.allowed`."""
        hook = self.settings.pre_failover
        return None if hook is None else await self.run(HookKind.PRE_FAILOVER, hook, context)

    async def post_failover(self, context: HookContext) -> HookResult | None:
        """Run the post-failover hook (its failure is recorded, nothing else)."""
        hook = self.settings.post_failover
        return None if hook is None else await self.run(HookKind.POST_FAILOVER, hook, context)

    async def run(self, kind: HookKind, hook: HookCommand, context: HookContext) -> HookResult:
        """Run one command to completion or timeout; never raises for the command's own failures."""
        env = {**BASE_ENV, **hook.env, **context.environment(kind)}
        started, t0 = self.clock.now(), self.clock.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *hook.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            error = f"cannot start {hook.command[0]!r}: {exc.strerror or exc}"
            return HookResult(kind, tuple(hook.command), started, 0.0, None, False, error, "", "")
        out, err, timed_out = await _communicate(proc, hook.timeout_seconds)
        duration = self.clock.monotonic() - t0
        code = None if timed_out else proc.returncode
        return HookResult(
            kind, tuple(hook.command), started, duration, code, timed_out, None, _tail(out), _tail(err)
        )


async def _communicate(proc: asyncio.subprocess.Process, timeout: float) -> tuple[bytes, bytes, bool]:
    """Collect output; on timeout kill the process group, reap it, and report what was written."""
    task = asyncio.ensure_future(proc.communicate())
    try:
        out, err = await asyncio.wait_for(asyncio.shield(task), timeout)
        return out, err, False
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        try:  # a grandchild that left the group could hold the pipes open: do not wait for it forever
            out, err = await asyncio.wait_for(task, REAP_SECONDS)
        except TimeoutError:
            out, err = b"", b""
        with contextlib.suppress(TimeoutError, ProcessLookupError):
            await asyncio.wait_for(proc.wait(), REAP_SECONDS)
        return out, err, True
