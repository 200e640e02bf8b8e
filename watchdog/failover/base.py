"""The executor's vocabulary and its shared plumbing: reading the DR task, journaling an outcome.

`Base` holds what submission, tracking and reconciliation all use; the steps themselves are in
submission.py, tracking.py and reconcile.py (see the package docstring for the whole sequence).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from watchdog.clock import Clock
from watchdog.dws import errors
from watchdog.dws.models import ClusterDetail, DisasterRecoveryDetail
from watchdog.ha.coordination import Coordination
from watchdog.journal import IntentAlreadyFinal, IntentAlreadySent, Journal
from watchdog.model import Decision, FailoverIntent, IntentStatus

log = logging.getLogger("watchdog.failover")

# Answers that prove the API did not take the failover (nothing to reconcile).
NOT_SENT = (errors.UnreachableError,)
# Answered 429: refused before anything was done, a condition that passes: the latch is lifted, so
# the next rounds decide again (and the DR task guard would see a switch, had one started after all).
THROTTLED = (errors.ThrottledError,)
# Refused for a reason a human must look at (credentials, state, version, a vanished DR task).
REFUSED = (errors.RejectedError, errors.NotFoundError, errors.AuthenticationError)


class DrApi(Protocol):
    """The part of `watchdog.dws.client.DwsClient` the executor uses (a seam for the client per pair)."""

    async def show_disaster_recovery(self, dr_id: str) -> DisasterRecoveryDetail: ...

    async def show_cluster(self, cluster_id: str) -> ClusterDetail: ...

    async def failover(self, dr_id: str) -> str: ...


class Step(StrEnum):
    """Points the executor passes; `on_step` is told of each (metrics, logs, and the crash tests)."""

    INTENDED = "intended"  # intent journaled
    SENT = "sent"  # sent_at journaled, POST about to go out
    POSTED = "posted"  # the POST returned (or failed ambiguously), not yet journaled
    SUBMITTED = "submitted"  # submission journaled
    POLLED = "polled"  # one tracking poll done
    FINISHED = "finished"  # outcome journaled (completed, failed or unknown)
    THROTTLED = "throttled"  # refused with 429, closed unlatched, retried after a backoff
    ABORTED = "aborted"  # closed unsent, the pair re-armed: the pre-POST re-read saw no outage to act on


@dataclass(frozen=True)
class ExecutorTiming:
    """How the executor waits. Seconds of the injected clock."""

    poll_interval_seconds: float = 10.0  # terraform polls the DR task every 10 s
    track_timeout_seconds: float = 1800.0  # terraform's 30 min; then `unknown`, an operator looks
    settle_seconds: float = 60.0  # no switch shown this long after submission: logged (never failed)
    unknown_grace_seconds: float = 120.0  # after an ambiguous POST: how long to look for the switch
    stale_unsent_seconds: float = (
        600.0  # an unsent intent this old has no live sender (> any veto hook timeout)
    )
    throttle_backoff_seconds: float = 30.0  # after a 429: the first wait before the next attempt
    throttle_backoff_max_seconds: float = 600.0  # doubling per 429 in a row, at most this (jittered)


VetoHook = Callable[[FailoverIntent], "Awaitable[str | None] | str | None"]
AfterHook = Callable[[FailoverIntent], "Awaitable[None] | None"]


@dataclass(frozen=True)
class ManualOutcome:
    """What `dr-watchdog failover` gets back: the decision, and the intent if one was made."""

    decision: Decision
    intent: FailoverIntent | None
    refused: str | None = None  # why no intent was made although the decision allowed it (a race)

    @property
    def exit_code(self) -> int:
        """0 completed, 1 failed or unresolved, 3 refused by a guard (the contract's exit codes)."""
        if self.intent is None:
            return 3
        return 0 if self.intent.status is IntentStatus.COMPLETED else 1


class Base:
    """The executor's parts and the helpers every step uses."""

    def __init__(
        self,
        journal: Journal,
        client_for: Callable[[str], DrApi],
        clock: Clock,
        may_act: Callable[[], bool] = lambda: True,
        *,
        timing: ExecutorTiming = ExecutorTiming(),
        before_submit: VetoHook | None = None,
        after_complete: AfterHook | None = None,
        on_step: Callable[[Step, FailoverIntent], None] | None = None,
        leader_term: Callable[[], int | None] = lambda: None,
        cluster_client_for: Callable[[str, str, str], DrApi] | None = None,
        coordination: Coordination | None = None,
    ) -> None:
        self.journal = journal
        self.client_for = client_for  # the pair's acting side: the DR task, the POST, the tracking
        self.cluster_client_for = cluster_client_for  # (pair, cluster id, side) -> its host's client
        self.clock = clock
        self.may_act = may_act
        self.timing = timing
        self.before_submit = before_submit
        self.after_complete = after_complete
        self.on_step = on_step
        self.leader_term = leader_term
        self.coordination = coordination  # the HA group's shared state (None: this journal alone)
        self.orphans: dict[str, str] = {}  # pair -> why: latches whose release failed, retried per round

    def cluster_for(self, pair: str, cluster_id: str, side: str) -> DrApi:
        """The client of the endpoint hosting a cluster (cross-region: not the acting side's for
        one of the two); `side` (production or dr) says where it is until a round has learned it."""
        if self.cluster_client_for is None:
            return self.client_for(pair)
        return self.cluster_client_for(pair, cluster_id, side)

    # ---- reading the DR task ------------------------------------------------------------------------
    def _swapped(self, intent: FailoverIntent, detail: DisasterRecoveryDetail) -> bool:
        primary = detail.primary_cluster.id if detail.primary_cluster else None
        return primary is not None and intent.old_standby_id is not None and primary == intent.old_standby_id

    async def _read(self, intent: FailoverIntent) -> DisasterRecoveryDetail | None:
        return await self._read_dr(intent.pair, intent.disaster_recovery_id)

    async def _read_dr(self, pair: str, dr_id: str) -> DisasterRecoveryDetail | None:
        try:
            return await self.client_for(pair).show_disaster_recovery(dr_id)
        except errors.DwsError as exc:
            log.warning("DR task unreadable", extra={"pair": pair, "error": str(exc)})
            return None

    def _age(self, intent: FailoverIntent) -> float:
        return (self.clock.now() - intent.created_at).total_seconds()

    def _elapsed(self, intent: FailoverIntent) -> float:
        since: datetime = intent.submitted_at or intent.sent_at or intent.created_at
        return (self.clock.now() - since).total_seconds()

    # ---- outcomes ----------------------------------------------------------------------------------
    async def _finish(
        self, intent: FailoverIntent, status: IntentStatus, why: str, release: bool = False
    ) -> FailoverIntent:
        try:
            done = self.journal.finish_intent(intent.id, status, self.clock.now(), why, release_latch=release)
        except IntentAlreadyFinal:  # another process finished it; its hooks ran there
            return self._finished_elsewhere(intent)
        self._step(Step.FINISHED, done)
        log.info("failover %s", status.value, extra={"pair": done.pair, "intent": done.id, "detail": why})
        if status is IntentStatus.COMPLETED and self.after_complete is not None:
            await self._run_after(done)
        return done

    def _finished_elsewhere(self, intent: FailoverIntent) -> FailoverIntent:
        """Followed to its end, which another process (a CLI `failover`) journaled first: this process
        still saw the outcome, so it is reported (FINISHED) here too; the observer counts an intent's
        outcome once, so following it in two places never counts it twice."""
        done = self.journal.intent(intent.id)
        if done.status.final:
            self._step(Step.FINISHED, done)
        return done

    def _close_unsent(self, intent: FailoverIntent, why: str) -> FailoverIntent | None:
        """Close a never-sent intent as failed, latch and cooldown lifted (one conditional write);
        None if its maker marked it sent meanwhile (then it must be followed as a sent intent)."""
        try:
            done = self.journal.close_unsent(intent.id, self.clock.now(), why)
        except IntentAlreadyFinal:
            return self.journal.intent(intent.id)
        except IntentAlreadySent:
            return None
        self._step(Step.FINISHED, done)
        log.info("failover not sent", extra={"pair": done.pair, "intent": done.id, "detail": why})
        return done

    def _unknown(self, intent: FailoverIntent, why: str) -> FailoverIntent:
        try:
            done = self.journal.mark_unknown(intent.id, self.clock.now(), why)
        except IntentAlreadyFinal:
            return self._finished_elsewhere(intent)
        self._step(Step.FINISHED, done)
        log.error(
            "failover outcome unknown: an operator must check", extra={"pair": done.pair, "detail": why}
        )
        return done

    async def _run_after(self, intent: FailoverIntent) -> None:
        """The post-failover hook (repoint DNS or clients); its failure is logged, the failover stands."""
        assert self.after_complete is not None
        try:
            result = self.after_complete(intent)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("post-failover hook failed", extra={"pair": intent.pair})

    async def _mirror(self, pair: str) -> None:
        """After an intent of ours ended: the shared state follows the journal (`Coordination.mirror`);
        a failure is logged, and the leader's rounds retry it."""
        if self.coordination is None:
            return
        try:
            state = self.journal.load_state(pair, self.clock.now())
            why = await self.coordination.mirror(pair, state, self.journal.open_intent(pair))
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
        if why is not None:
            log.warning(
                "shared state not updated after the failover intent ended; the leader retries",
                extra={"pair": pair, "error": why},
            )

    def _step(self, step: Step, intent: FailoverIntent) -> None:
        """Tell the observer (metrics, logs); its failure must never leave a step half-done."""
        if self.on_step is None:
            return
        try:
            self.on_step(step, intent)
        except Exception:
            log.exception("on_step observer failed", extra={"pair": intent.pair, "step": step.value})
