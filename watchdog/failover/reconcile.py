"""The executor's entry points beside `execute`: the manual failover of the CLI, and settling the
open intents (at start-up, and each round for an intent nobody in this process follows)."""

from __future__ import annotations

import asyncio

from watchdog.failover.base import ManualOutcome, log
from watchdog.failover.submission import Submission
from watchdog.journal import IntentConflict
from watchdog.model import Action, FailoverIntent, IntentStatus, Observation, Policy
from watchdog.policy import evaluate_manual


class Executor(Submission):
    """Runs failover intents for every pair; shared by the daemon (auto mode) and the CLI (manual)."""

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
        """Continue one open intent (`_follow`); the shared state follows its end."""
        try:
            return await self._follow(intent, startup=startup)
        finally:
            await self._mirror(intent.pair)

    async def _follow(self, intent: FailoverIntent, *, startup: bool = False) -> FailoverIntent:
        """Continue one open intent from what the journal knows about it; never POSTs a sent intent.

        An intent never sent is closed (so the next rounds decide again) once its maker cannot send
        it any more (`_maker_gone`). The close is one write conditioned on `sent_at IS NULL`: if the
        maker marked it sent meanwhile, it is followed as a sent intent instead.
        """
        if intent.status.final:
            return intent
        if intent.status is IntentStatus.INTENDED and intent.sent_at is None:
            if not self._maker_gone(intent, startup):
                return intent  # its maker may be about to send it (e.g. awaiting its veto hook)
            why = "stopped before the failover request was sent; the next rounds decide again"
            closed = self._close_unsent(intent, why)
            if closed is not None:
                return closed
            intent = self.journal.intent(intent.id)  # sent meanwhile
            if intent.status.final:
                return intent
        if intent.status is IntentStatus.SUBMITTED:
            return await self._track(intent)
        if intent.status is IntentStatus.UNKNOWN:
            return await self._look_once(intent)
        return await self._settle_ambiguous(intent, "restarted after the request was sent")

    def _maker_gone(self, intent: FailoverIntent, startup: bool) -> bool:
        """Whether the process that made an unsent intent can no longer send it.

        At start-up the daemon's own (automatic) intents were made by its previous run. A manual one
        belongs to a `dr-watchdog failover` that may still be running (in its veto hook): it is given
        up only once older than `stale_unsent_seconds`, which the settings keep longer than the
        pre-failover hook's timeout plus the checks around it.
        """
        if startup and not intent.manual:
            return True
        return self._age(intent) >= self.timing.stale_unsent_seconds
