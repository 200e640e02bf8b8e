"""Submitting a failover: journal the intent, the checks right before the POST (authority, pause,
the veto hook), the sent mark, then exactly one POST and its answer."""

from __future__ import annotations

import inspect
import random

from watchdog.dws import errors
from watchdog.failover.base import NOT_SENT, REFUSED, THROTTLED, ExecutorTiming, Step, log
from watchdog.failover.recheck import recheck
from watchdog.failover.tracking import Tracking
from watchdog.journal import IntentAlreadyFinal, IntentConflict
from watchdog.journal.intents import THROTTLED as THROTTLED_DETAIL
from watchdog.model import Action, Decision, FailoverIntent, IntentStatus, Observation, ReasonCode


def backoff(timing: ExecutorTiming, attempt: int, retry_after: float | None) -> float:
    """Seconds to wait after the `attempt`-th 429 in a row: base * 2^(attempt-1) up to the maximum,
    times a jitter in [0.5, 1], never below the API's Retry-After (itself capped at the maximum)."""
    cap = timing.throttle_backoff_max_seconds
    ceiling = min(cap, timing.throttle_backoff_seconds * 2.0 ** min(attempt - 1, 32))
    return max(ceiling * random.uniform(0.5, 1.0), min(retry_after or 0.0, cap))


class Submission(Tracking):
    """From a FAILOVER decision to a submitted (or refused) intent."""

    # ---- entry points ------------------------------------------------------------------------------
    async def execute(
        self, decision: Decision, observation: Observation, *, requested_by: str = "watchdog"
    ) -> FailoverIntent:
        """Act on a FAILOVER decision: journal the intent, then submit and track it to its outcome."""
        if decision.action is not Action.FAILOVER:
            raise ValueError(f"decision: action is {decision.action.value}, not failover")
        try:
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
        except IntentConflict:
            raise  # another intent is open: the latch is its own
        except Exception as exc:
            self._release_orphan(decision.pair, f"{type(exc).__name__}: {exc}")
            raise
        self._step(Step.INTENDED, intent)
        try:
            return await self._claimed(intent)
        finally:
            await self._mirror(intent.pair)

    async def _claimed(self, intent: FailoverIntent) -> FailoverIntent:
        """With a shared state: the intent claimed there first (refused: closed unsent), then submitted."""
        if self.coordination is not None:
            state = self.journal.load_state(intent.pair, self.clock.now())
            why = await self.coordination.claim(intent, state)
            if why is not None:
                return self._close_unsent(intent, why) or self.journal.intent(intent.id)
        return await self._submit(intent)

    def _release_orphan(self, pair: str, error: str) -> None:
        """The decision (and its latch) is journaled but no intent could be: nothing will be sent, so
        the latch and cooldown go at once, with the reason in the audit trail (acks, owner watchdog),
        not only at the next start-up; if even that write fails, the next start-up lifts it."""
        why = f"failover not started, the intent could not be journaled ({error}): latch released"
        try:
            released = self.journal.release_orphan_latch(pair, self.clock.now(), why)
        except Exception:
            self.orphans[pair] = why  # the same fault (a busy database) may refuse this write too
            log.exception("orphan latch not released yet; retried after the next round", extra={"pair": pair})
            return
        log.error(why if released else f"failover not started ({error})", extra={"pair": pair})

    def release_orphans(self) -> None:
        """Retry the latch releases that failed (the daemon calls it after each journaled round), so a
        journal busy past its timeout for both writes does not leave the pair failed_over until a
        restart. The release is conditioned on no intent since the latch, so a retry is always safe."""
        for pair, why in list(self.orphans.items()):
            try:
                released = self.journal.release_orphan_latch(pair, self.clock.now(), why)
            except Exception:
                log.warning("orphan latch still not released", extra={"pair": pair})
                continue
            del self.orphans[pair]
            if released:
                log.error(why, extra={"pair": pair})

    def _throttled(self, intent: FailoverIntent, exc: errors.ThrottledError) -> FailoverIntent:
        """A 429: not accepted. The intent closes unlatched with a backoff (bounded, jittered, doubling
        per 429 in a row, at least the API's Retry-After) as the pair's cooldown: the rounds keep
        deciding (the cooldown guard blocks meanwhile), the pre-failover hook is not run again before
        it ends, and no other pair waits for it."""
        in_a_row = self.journal.throttled_streak(intent.pair, intent.id) + 1
        wait = backoff(self.timing, in_a_row, exc.retry_after)
        why = f"{THROTTLED_DETAIL}, not accepted; the next attempt after {wait:.0f} s: {exc}"
        try:
            done = self.journal.finish_intent(
                intent.id,
                IntentStatus.FAILED,
                self.clock.now(),
                why,
                release_latch=True,
                cooldown_seconds=wait,
            )
        except IntentAlreadyFinal:
            return self.journal.intent(intent.id)
        self._step(Step.THROTTLED, done)
        log.warning("failover throttled", extra={"pair": done.pair, "intent": done.id, "detail": why})
        return done

    def _abort(self, intent: FailoverIntent, seen: str) -> FailoverIntent:
        """Close the intent unsent with the pair re-armed (no latch, no cooldown: one transaction), so
        a later outage is decided afresh."""
        why = f"{ReasonCode.FAILOVER_ABORTED.value}: re-read before the POST: {seen}"
        try:
            done = self.journal.close_unsent(intent.id, self.clock.now(), why)
        except IntentAlreadyFinal:
            return self.journal.intent(intent.id)
        self._step(Step.ABORTED, done)
        log.warning("failover aborted before the POST", extra={"pair": done.pair, "detail": why})
        return done

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
        if refusal is not None:  # our own intent: only this process marks it sent
            return self._close_unsent(intent, refusal) or self.journal.intent(intent.id)
        if not intent.manual:
            production = (
                self.cluster_for(intent.pair, intent.old_primary_id, "production")
                if intent.old_primary_id is not None
                else None
            )
            seen = await recheck(self.client_for(intent.pair), intent, self.clock.now(), production)
            if seen is not None:
                return self._abort(intent, seen)
        if not self.may_act():  # fencing, right before the POST: the re-read above took time
            return self._close_unsent(intent, "not the instance allowed to act (lost the leadership)") or (
                self.journal.intent(intent.id)
            )
        if self.coordination is not None:  # fenced in the store, with the last pause check
            why = await self.coordination.mark_sent(intent)
            if why is not None:
                return self._close_unsent(intent, why) or self.journal.intent(intent.id)
        try:
            intent = self.journal.mark_sent(intent.id, self.clock.now())
        except IntentAlreadyFinal:  # closed meanwhile (an operator or a reconcile): do not send
            return self.journal.intent(intent.id)
        self._step(Step.SENT, intent)
        client = self.client_for(intent.pair)
        try:
            request_id = await client.failover(intent.disaster_recovery_id)
        except NOT_SENT as exc:
            self._step(Step.POSTED, intent)
            return await self._finish(intent, IntentStatus.FAILED, f"not sent: {exc}", release=True)
        except THROTTLED as exc:
            self._step(Step.POSTED, intent)
            return self._throttled(intent, exc)
        except REFUSED as exc:
            self._step(Step.POSTED, intent)
            return await self._finish(intent, IntentStatus.FAILED, f"rejected by the API: {exc}")
        except errors.DwsError as exc:  # FailoverOutcomeUnknown and anything else ambiguous
            self._step(Step.POSTED, intent)
            return await self._settle_ambiguous(intent, f"ambiguous answer: {exc}")
        self._step(Step.POSTED, intent)
        intent = self.journal.mark_submitted(intent.id, self.clock.now(), request_id=request_id)
        self._step(Step.SUBMITTED, intent)
        return await self._track(intent)
