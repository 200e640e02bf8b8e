"""What the leader does with the shared state's open intents each round, before it decides.

- Another instance's intent, never marked sent: closed in the document (a fenced write). Its maker
  can no longer send it: its own `mark_sent` is fenced by its term, and needs the intent still there.
  A manual one (`dr-watchdog failover`, unfenced) is left to its CLI for `stale_unsent_seconds`.
- Another instance's intent marked sent: taken over. The leader journals an intent of its own for it
  (sent, never POSTed by this instance), makes it its own in the document (fenced), and follows the
  DR task exactly as after a restart: the switch shown or the roles swapped -> submitted, tracked to
  completion, latched; nothing seen within `unknown_grace_seconds` -> unknown (an operator acks).
- One of ours whose journal intent has ended: the document follows the journal (a missed mirror:
  the backend was down, or we crashed between marking it sent there and in the journal, which
  precedes the POST, so a journal intent without `sent_at` was never POSTed); one marked sent there
  that the journal does not have: taken over like another instance's.
- An `ack` given through any instance closes this journal's `unknown` intent of that pair.
The document is the only thing the leader trusts here; the DR task decides every outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Coroutine
from dataclasses import replace
from typing import Any

from watchdog.failover import Executor
from watchdog.ha.coordination import Coordination, Refused
from watchdog.ha.shared import Shared, SharedIntent
from watchdog.journal import Journal, JournalError
from watchdog.model import FailoverIntent, IntentStatus

log = logging.getLogger("watchdog.ha")

Spawn = Callable[[str, Coroutine[Any, Any, FailoverIntent]], None]


class Takeover:
    def __init__(self, coord: Coordination, journal: Journal, executor: Executor, spawn: Spawn) -> None:
        self.coord, self.journal, self.executor, self.spawn = coord, journal, executor, spawn

    async def settle(self, pairs: Collection[str]) -> None:
        """One pass over the document's open intents of the configured `pairs` (module docstring)."""
        shared = self.coord.shared
        if shared is None:
            return
        self._apply_acks(shared)
        for pair, sp in shared.pairs.items():
            if sp.intent is None or pair not in pairs:
                continue
            try:
                if sp.intent.holder == self.coord.me:
                    await self._own(pair, sp.intent)
                else:
                    await self._foreign(pair, sp.intent)
            except Exception:
                log.exception("shared intent not settled this round; retried", extra={"pair": pair})

    def _apply_acks(self, shared: Shared) -> None:
        for intent in self.journal.open_intents():
            acked = shared.pair(intent.pair).acked_at
            if intent.status is IntentStatus.UNKNOWN and acked is not None and acked > intent.created_at:
                now = self.coord.clock.now()
                self.journal.ack(intent.pair, "shared-ack", now, "acked through the HA group")
                log.warning("unknown intent closed by a group ack", extra={"pair": intent.pair})

    async def _own(self, pair: str, si: SharedIntent) -> None:
        local = self._local(si.intent_id)
        open_statuses = (IntentStatus.INTENDED, IntentStatus.SUBMITTED)
        if local is not None and local.pair == pair and local.status in open_statuses:
            return  # open: the executor (or the rounds' tracking) follows it
        if si.sent and local is None:  # our journal lost it: its POST may have gone out
            await self._adopt(pair, si)
        else:
            await self.executor._mirror(pair)

    async def _foreign(self, pair: str, si: SharedIntent) -> None:
        now = self.coord.clock.now()
        age = (now - si.created_at).total_seconds()
        if si.manual and age < self.executor.timing.stale_unsent_seconds:
            return  # a live `dr-watchdog failover` may still be in its veto hook or tracking it
        if si.sent:
            await self._adopt(pair, si)
            return

        def close(doc: Shared) -> Shared:
            sp = doc.pair(pair)
            if sp.intent != si:
                raise Refused(f"pair {pair}: the shared intent changed meanwhile")
            return doc.with_pair(pair, replace(sp, intent=None, latched_at=None, cooldown_until=None))

        why = await self.coord.write(close)
        if why is None:
            log.warning(
                "closed another instance's unsent failover intent: it can no longer send it",
                extra={"pair": pair, "holder": si.holder, "term": si.term},
            )

    async def _adopt(self, pair: str, si: SharedIntent) -> None:
        """Make a sent intent ours (journal first, unsent; then the document; then sent) and follow it."""
        if self.journal.open_intent(pair) is not None:
            return  # this journal follows one for the pair already; the next round retries
        now = self.coord.clock.now()
        local = self.journal.create_intent(
            pair,
            si.disaster_recovery_id,
            now,
            old_primary_id=si.old_primary_id,
            old_standby_id=si.old_standby_id,
            manual=si.manual,
            requested_by=f"taken over from {si.holder}",
            leader_term=self.coord.term(),
        )
        mine = replace(si, holder=self.coord.me, term=self.coord.term(), intent_id=local.id, sent=True)

        def take(doc: Shared) -> Shared:
            sp = doc.pair(pair)
            if sp.intent != si:
                raise Refused(f"pair {pair}: the shared intent changed meanwhile")
            return doc.with_pair(pair, replace(sp, intent=mine, latched_at=sp.latched_at or now))

        why = await self.coord.write(take)
        if why is not None:
            self.journal.close_unsent(local.id, now, f"not taken over: {why}")
            return
        local = self.journal.mark_sent(local.id, now)
        log.warning(
            "took over a sent failover intent: following the DR task, never sending again",
            extra={"pair": pair, "holder": si.holder, "term": si.term},
        )
        self.spawn(pair, self.executor.follow(local))

    def _local(self, intent_id: int) -> FailoverIntent | None:
        try:
            return self.journal.intent(intent_id)
        except JournalError:
            return None
