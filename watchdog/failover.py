"""The failover executor: exactly one failover POST per intent, journaled at every step, tracked to the end.

Steps, each journaled before the next begins (so a crash anywhere leaves a record saying what is known):
1. INTENDED: the intent is written (status intended, `sent_at` empty).
2. Checks right before the POST: `may_act()` (the authority seam: leader and fencing, roadmap) and
   an operator pause given since the decision, then the `before_submit` hook (a veto), then the
   first two again (the hook may be slow). A refusal closes the intent as failed and lifts the
   latch: nothing was sent.
3. SENT: `sent_at` is written, then the POST goes out. It is never repeated for this intent.
4. SUBMITTED: a 200 (or, after an ambiguous answer, the DR task showing the switch) is journaled.
5. Tracking: the DR detail and the new primary's detail are polled until the roles are swapped and the
   new primary is AVAILABLE with no action in progress (completed), or the task is abnormal with the
   roles not swapped (failed), or the timeout passes (unknown: an operator must look).
6. The outcome is journaled with the latch (and the `after_complete` hook runs on success).

Ambiguity is resolved against the DR task, never by sending again. `reconcile()` settles every open
intent at start-up: one without `sent_at` was provably never sent and is closed (the next rounds
decide afresh); one sent but not known to be submitted is submitted if the DR task shows a switch, and
otherwise becomes `unknown` after a grace period. We cannot prove a sent POST was not received, so we
never send it again: exactly once beats liveness, and `ack` is the operator's way out.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from watchdog.clock import Clock
from watchdog.dws import errors
from watchdog.dws.models import ClusterDetail, ClusterStatus, DisasterRecoveryDetail, DrStatus
from watchdog.journal import IntentAlreadyFinal, IntentConflict, Journal
from watchdog.model import (
    Action,
    Decision,
    FailoverIntent,
    IntentStatus,
    Observation,
    Policy,
    ReasonCode,
)
from watchdog.policy import evaluate_manual

log = logging.getLogger("watchdog.failover")

# Answers that prove the API did not take the failover (nothing to reconcile).
_NOT_SENT = (errors.UnreachableError,)
# Answered 429: refused before anything was done, a condition that passes: the latch is lifted, so
# the next rounds decide again (and the DR task guard would see a switch, had one started after all).
_THROTTLED = (errors.ThrottledError,)
# Refused for a reason a human must look at (credentials, state, version, a vanished DR task).
_REFUSED = (errors.RejectedError, errors.NotFoundError, errors.AuthenticationError)


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


@dataclass(frozen=True)
class ExecutorTiming:
    """How the executor waits. Seconds of the injected clock."""

    poll_interval_seconds: float = 10.0  # terraform polls the DR task every 10 s
    track_timeout_seconds: float = 1800.0  # terraform's 30 min; then `unknown`, an operator looks
    settle_seconds: float = (
        60.0  # a task still abnormal, never seen switching, this long after submission: failed
    )
    unknown_grace_seconds: float = 120.0  # after an ambiguous POST: how long to look for the switch
    stale_unsent_seconds: float = (
        600.0  # an unsent intent this old has no live sender (> any veto hook timeout)
    )


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


class Executor:
    """Runs failover intents for every pair; shared by the daemon (auto mode) and the CLI (manual)."""

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
    ) -> None:
        self.journal = journal
        self.client_for = client_for
        self.clock = clock
        self.may_act = may_act
        self.timing = timing
        self.before_submit = before_submit
        self.after_complete = after_complete
        self.on_step = on_step
        self.leader_term = leader_term

    # ---- entry points ------------------------------------------------------------------------------
    async def execute(
        self, decision: Decision, observation: Observation, *, requested_by: str = "watchdog"
    ) -> FailoverIntent:
        """Act on a FAILOVER decision: journal the intent, then submit and track it to its outcome."""
        if decision.action is not Action.FAILOVER:
            raise ValueError(f"decision: action is {decision.action.value}, not failover")
        old_primary, old_standby = await self._roles(observation)
        intent = self.journal.create_intent(
            decision.pair,
            observation.disaster_recovery_id,
            self.clock.now(),
            old_primary_id=old_primary,
            old_standby_id=old_standby,
            manual=decision.manual,
            forced=decision.reason(ReasonCode.FORCED) is not None,
            requested_by=requested_by,
            first_down_at=decision.first_down_at,
            expected_data_loss_seconds=decision.expected_data_loss_seconds,
            leader_term=self.leader_term(),
        )
        self._step(Step.INTENDED, intent)
        return await self._submit(intent)

    async def _roles(self, observation: Observation) -> tuple[str | None, str | None]:
        """(primary, standby) before the switch: from the observation, else one read of the DR task.

        Without them the swap cannot be recognised and tracking ends `unknown` (only a forced manual
        failover on an unreadable DR task gets here).
        """
        task = observation.dr_task
        if task is not None:
            return task.primary_cluster_id, task.standby_cluster_id
        detail = await self._read_dr(observation.pair, observation.disaster_recovery_id)
        if detail is None or detail.primary_cluster is None or detail.standby_cluster is None:
            return None, None
        return detail.primary_cluster.id, detail.standby_cluster.id

    async def manual_failover(
        self, observation: Observation, policy: Policy, *, force: bool = False, requested_by: str
    ) -> ManualOutcome:
        """`dr-watchdog failover`: the safety guards apply unless `force`; same journal, same executor."""
        now = self.clock.now()
        state = self.journal.load_state(observation.pair, now)
        evaluation = evaluate_manual(observation, state, policy, now, force=force)
        self.journal.record(observation, evaluation.decision, evaluation.next_state, state_before=state)
        if evaluation.decision.action is not Action.FAILOVER:
            return ManualOutcome(evaluation.decision, None)
        try:
            intent = await self.execute(evaluation.decision, observation, requested_by=requested_by)
        except IntentConflict as exc:  # the daemon (or another CLI) opened one a moment earlier
            return ManualOutcome(evaluation.decision, None, str(exc))
        return ManualOutcome(evaluation.decision, intent)

    async def reconcile(self, *, startup: bool = True) -> list[FailoverIntent]:
        """Settle every open intent against the DR task's real state; returns them as they end up.

        At start-up, a latch whose FAILOVER decision never got an intent is lifted as well.
        """
        if startup:
            for pair in self.journal.latched_pairs():
                if self.journal.release_orphan_latch(pair, self.clock.now()):
                    log.warning("latch without an intent released", extra={"pair": pair})
        # At most one open intent per pair: follow them side by side, so a switch that takes 30
        # minutes never holds back another pair's completion (and its post-failover hook).
        intents = self.journal.open_intents()
        results = await asyncio.gather(
            *(self.follow(i, startup=startup) for i in intents), return_exceptions=True
        )
        settled = []
        for intent, result in zip(intents, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancellation and the like: not ours to swallow
                log.error(
                    "reconciling the intent failed; the rounds follow it again",
                    exc_info=result,
                    extra={"pair": intent.pair, "intent": intent.id},
                )
                continue
            settled.append(result)
        return settled

    async def follow(self, intent: FailoverIntent, *, startup: bool = False) -> FailoverIntent:
        """Continue one open intent from what the journal knows about it; never POSTs a sent intent.

        An intent never sent is closed (so the next rounds decide again) at start-up, or once it is
        older than `stale_unsent_seconds`: before that, the process that made it may still send it.
        """
        if intent.status is IntentStatus.INTENDED and intent.sent_at is None:
            if not startup and self._age(intent) < self.timing.stale_unsent_seconds:
                return intent  # another process may be about to send it (e.g. awaiting its veto hook)
            why = "stopped before the failover request was sent; the next rounds decide again"
            return await self._finish(intent, IntentStatus.FAILED, why, release=True)
        if intent.status is IntentStatus.SUBMITTED:
            return await self._track(intent)
        if intent.status is IntentStatus.UNKNOWN:
            return await self._look_once(intent)
        return await self._settle_ambiguous(intent, "restarted after the request was sent")

    # ---- submission --------------------------------------------------------------------------------
    async def _refusal(self, intent: FailoverIntent) -> str | None:
        """Why this intent must not be sent now (None: go).

        Authority and pause are checked before the veto hook (no hook run for an instance that may
        not act) and again after it, right before the POST: the hook may take minutes, and a lease
        lost or a pause given meanwhile must still stop the request (fencing, roadmap).
        """
        refusal = self._gate(intent)
        if refusal is not None or self.before_submit is None:
            return refusal
        try:
            veto = self.before_submit(intent)
            result = await veto if inspect.isawaitable(veto) else veto
        except Exception as exc:  # a failing veto hook vetoes: never fail over on a broken check
            return f"pre-failover hook failed: {type(exc).__name__}: {exc}"
        return f"vetoed: {result}" if result else self._gate(intent)

    def _gate(self, intent: FailoverIntent) -> str | None:
        """The authority (`may_act`) and an operator pause given since the decision."""
        if not self.may_act():
            return "not the instance allowed to act"
        pause = self.journal.active_pause(intent.pair, self.clock.now())
        if pause is not None and not intent.manual:
            return f"paused by {pause.owner} before submission: {pause.reason}"
        return None

    async def _submit(self, intent: FailoverIntent) -> FailoverIntent:
        refusal = await self._refusal(intent)
        if refusal is not None:
            return await self._finish(intent, IntentStatus.FAILED, refusal, release=True)
        try:
            intent = self.journal.mark_sent(intent.id, self.clock.now())
        except IntentAlreadyFinal:  # closed meanwhile (an operator or a reconcile): do not send
            return self.journal.intent(intent.id)
        self._step(Step.SENT, intent)
        client = self.client_for(intent.pair)
        try:
            request_id = await client.failover(intent.disaster_recovery_id)
        except _NOT_SENT as exc:
            self._step(Step.POSTED, intent)
            return await self._finish(intent, IntentStatus.FAILED, f"not sent: {exc}", release=True)
        except _THROTTLED as exc:
            self._step(Step.POSTED, intent)
            why = f"throttled by the API, not accepted; the next rounds decide again: {exc}"
            return await self._finish(intent, IntentStatus.FAILED, why, release=True)
        except _REFUSED as exc:
            self._step(Step.POSTED, intent)
            return await self._finish(intent, IntentStatus.FAILED, f"rejected by the API: {exc}")
        except errors.DwsError as exc:  # FailoverOutcomeUnknown and anything else ambiguous
            self._step(Step.POSTED, intent)
            return await self._settle_ambiguous(intent, f"ambiguous answer: {exc}")
        self._step(Step.POSTED, intent)
        intent = self.journal.mark_submitted(intent.id, self.clock.now(), request_id=request_id)
        self._step(Step.SUBMITTED, intent)
        return await self._track(intent)

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

    async def _settle_ambiguous(self, intent: FailoverIntent, why: str) -> FailoverIntent:
        """Sent, answer unclear: watch the DR task for the switch; never send again."""
        started = self.clock.monotonic()
        while True:
            detail = await self._read(intent)
            if detail is not None and (
                detail.status is DrStatus.SWITCHOVERING or self._swapped(intent, detail)
            ):
                note = f"{why}; the DR task shows the switch ({detail.status_raw})"
                intent = self._submitted(intent, note)
                return await self._track(intent)
            if self.clock.monotonic() - started >= self.timing.unknown_grace_seconds:
                return self._unknown(
                    intent, f"{why}; no switch seen within {self.timing.unknown_grace_seconds:.0f} s"
                )
            await self.clock.sleep(self.timing.poll_interval_seconds)

    async def _look_once(self, intent: FailoverIntent) -> FailoverIntent:
        """An unknown intent: if the DR task now shows the switch, it was submitted after all."""
        detail = await self._read(intent)
        if detail is not None and (detail.status is DrStatus.SWITCHOVERING or self._swapped(intent, detail)):
            intent = self._submitted(
                intent, f"reconciled: the DR task shows the switch ({detail.status_raw})"
            )
            return await self._track(intent)
        return intent

    def _submitted(self, intent: FailoverIntent, note: str) -> FailoverIntent:
        intent = self.journal.mark_submitted(intent.id, self.clock.now(), detail=note)
        self._step(Step.SUBMITTED, intent)
        return intent

    # ---- tracking ----------------------------------------------------------------------------------
    async def _track(self, intent: FailoverIntent) -> FailoverIntent:
        """Poll until completed, failed, or the timeout (then unknown)."""
        seen_switching = False
        while True:
            detail = await self._read(intent)
            self._step(Step.POLLED, intent)
            if detail is not None:
                seen_switching = seen_switching or detail.status is DrStatus.SWITCHOVERING
                outcome = await self._judge(intent, detail, seen_switching)
                if outcome is not None:
                    return await self._finish(intent, *outcome)
            if self._elapsed(intent) >= self.timing.track_timeout_seconds:
                limit = self.timing.track_timeout_seconds
                return self._unknown(intent, f"not finished within {limit:.0f} s")
            await self.clock.sleep(self.timing.poll_interval_seconds)

    def _age(self, intent: FailoverIntent) -> float:
        return (self.clock.now() - intent.created_at).total_seconds()

    def _elapsed(self, intent: FailoverIntent) -> float:
        since: datetime = intent.submitted_at or intent.sent_at or intent.created_at
        return (self.clock.now() - since).total_seconds()

    async def _judge(
        self, intent: FailoverIntent, detail: DisasterRecoveryDetail, seen_switching: bool
    ) -> tuple[IntentStatus, str] | None:
        """(status, why) once the DR task says how it ended; None while it is still running."""
        swapped = self._swapped(intent, detail)
        if swapped and detail.status is not DrStatus.SWITCHOVERING:
            return await self._new_primary_ready(intent)
        settled = seen_switching or self._elapsed(intent) >= self.timing.settle_seconds
        if not swapped and detail.status is DrStatus.ABNORMAL and settled:
            return IntentStatus.FAILED, "the DR task is abnormal and the roles did not swap"
        return None

    async def _new_primary_ready(self, intent: FailoverIntent) -> tuple[IntentStatus, str] | None:
        assert intent.old_standby_id is not None
        try:
            cluster = await self.client_for(intent.pair).show_cluster(intent.old_standby_id)
        except errors.DwsError:
            return None
        if cluster.status is ClusterStatus.AVAILABLE and not cluster.action_progress:
            return IntentStatus.COMPLETED, f"roles swapped; new primary {cluster.id} is {cluster.status_raw}"
        return None

    # ---- outcomes ----------------------------------------------------------------------------------
    async def _finish(
        self, intent: FailoverIntent, status: IntentStatus, why: str, release: bool = False
    ) -> FailoverIntent:
        try:
            done = self.journal.finish_intent(intent.id, status, self.clock.now(), why, release_latch=release)
        except IntentAlreadyFinal:
            return self.journal.intent(intent.id)  # another process finished it; its hooks ran there
        self._step(Step.FINISHED, done)
        log.info("failover %s", status.value, extra={"pair": done.pair, "intent": done.id, "detail": why})
        if status is IntentStatus.COMPLETED and self.after_complete is not None:
            await self._run_after(done)
        return done

    def _unknown(self, intent: FailoverIntent, why: str) -> FailoverIntent:
        try:
            done = self.journal.mark_unknown(intent.id, self.clock.now(), why)
        except IntentAlreadyFinal:
            return self.journal.intent(intent.id)
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

    def _step(self, step: Step, intent: FailoverIntent) -> None:
        """Tell the observer (metrics, logs); its failure must never leave a step half-done."""
        if self.on_step is None:
            return
        try:
            self.on_step(step, intent)
        except Exception:
            log.exception("on_step observer failed", extra={"pair": intent.pair, "step": step.value})
