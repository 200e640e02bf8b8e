"""The shared operator state in use: what the executor, the rounds and the CLI write through the
backend, each write one compare-and-swap of the document (`watchdog.ha.shared`).

The executor, for each failover (docs/ha.md, "Shared operator state"):
1. `claim` right after its intent is journaled: the pair's open intent in the document, fenced by
   the leader's term, with the latch, the cooldown and (automatic) the brake's count. Refused if
   another instance's intent is open for the pair: the journaled intent is then closed unsent.
2. `mark_sent` right before the POST, fenced again, in the same write as the last check of a pause
   given through any instance: an old leader's write fails in the store itself (`Fenced`), so it
   never POSTs; a failed write never POSTs either.
3. `mirror` when the intent ends: the document follows the journal (the intent goes; the latch and
   cooldown as the journal left them). Missed (the backend down, a crash): the leader's rounds
   retry it (`watchdog.ha.takeover`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from watchdog.clock import Clock
from watchdog.ha.shared import Change, Fenced, Shared, SharedIntent, SharedPair, SharedStateError, StateStore
from watchdog.journal.brake import counted
from watchdog.model import FailoverIntent, IntentStatus, PairState, Pause


class Refused(Exception):
    """A change the document's current content forbids (another instance's intent, a pause)."""


def _without(times: tuple[datetime, ...], one: datetime) -> tuple[datetime, ...]:
    """`times` less one occurrence of `one`."""
    if one not in times:
        return times
    i = times.index(one)
    return times[:i] + times[i + 1 :]


def later(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


class Coordination:
    """One instance's (or one CLI's) handle on the shared document. `term` is the leader's fencing
    token while it leads (None: unfenced, the CLI's own writes)."""

    def __init__(
        self,
        store: StateStore,
        me: str,
        clock: Clock,
        *,
        term: Callable[[], int | None] = lambda: None,
        brake_window_seconds: float = 3600.0,
    ) -> None:
        self.store, self.me, self.clock, self.term = store, me, clock, term
        self.window = brake_window_seconds
        self.shared: Shared | None = None  # as last read or written

    async def load(self) -> Shared:
        self.shared = await self.store.load()
        return self.shared

    async def write(self, change: Change, *, fenced: bool = True) -> str | None:
        """Apply `change`; None when written, else why not (one line). A fenced write without a
        leader term (this instance does not hold the leadership now) is not attempted."""
        fence = self.term() if fenced else None
        if fenced and fence is None:
            return "not the instance allowed to act (it holds no leader term now)"
        try:
            self.shared = await self.store.update(change, fence=fence)
        except Refused as exc:
            return str(exc)
        except Fenced as exc:
            return f"not the instance allowed to act ({exc})"
        except SharedStateError as exc:
            return f"shared state unavailable: {exc}"
        return None

    def _prune(self, doc: Shared, now: datetime) -> Shared:
        cut = now - timedelta(seconds=self.window)
        return replace(
            doc,
            brake_failovers=tuple(t for t in doc.brake_failovers if t >= cut),
            pauses=tuple(p for p in doc.pauses if p.active(now)),
        )

    # ---- the executor ----------------------------------------------------------------------------
    async def claim(self, intent: FailoverIntent, state: PairState) -> str | None:
        """Put `intent` in the document (module docstring, step 1); None, or why it was refused."""
        now, fenced = self.clock.now(), not intent.manual
        mine = SharedIntent(
            self.me,
            self.term() if fenced else None,
            intent.id,
            intent.created_at,
            False,
            intent.disaster_recovery_id,
            intent.old_primary_id,
            intent.old_standby_id,
            intent.manual,
        )

        def change(doc: Shared) -> Shared:
            sp = doc.pair(intent.pair)
            if sp.intent is not None and (sp.intent.holder, sp.intent.intent_id) != (self.me, intent.id):
                raise Refused(
                    f"pair {intent.pair}: {sp.intent.holder}'s failover intent {sp.intent.intent_id} "
                    f"is open (term {sp.intent.term}); not started"
                )
            latched_at = (state.latched_at if state.latched else None) or intent.created_at
            new = replace(
                sp,
                intent=mine,
                latched_at=sp.latched_at or latched_at,
                cooldown_until=later(sp.cooldown_until, state.cooldown_until),
            )
            doc = self._prune(doc.with_pair(intent.pair, new), now)
            if not intent.manual:
                doc = replace(doc, brake_failovers=(*doc.brake_failovers, intent.created_at))
            return doc

        return await self.write(change, fenced=fenced)

    async def mark_sent(self, intent: FailoverIntent) -> str | None:
        """Mark our intent sent, fenced, if it is still ours and (automatic) no pause holds the pair."""
        now = self.clock.now()

        def change(doc: Shared) -> Shared:
            sp = doc.pair(intent.pair)
            if sp.intent is None or (sp.intent.holder, sp.intent.intent_id) != (self.me, intent.id):
                raise Refused(f"pair {intent.pair}: the shared intent was closed meanwhile; not sent")
            pause = doc.pause_of(intent.pair, now)
            if pause is not None and not intent.manual:
                raise Refused(f"paused by {pause.owner} before submission: {pause.reason}")
            return doc.with_pair(intent.pair, replace(sp, intent=replace(sp.intent, sent=True)))

        return await self.write(change, fenced=not intent.manual)

    async def mirror(
        self,
        pair: str,
        state: PairState,
        open_intent: FailoverIntent | None,
        ended: FailoverIntent | None = None,
    ) -> str | None:
        """After our intent ended (or went `unknown`): the document follows the journal's latch and
        cooldown (an `unknown` intent latches: its POST may have been taken), and our intent leaves
        it. `ended`, the pair's newest intent: if it was not a failover (closed unsent, refused with a
        429, unreachable: `watchdog.journal.brake.counted`), its claim leaves the brake's count. Nothing
        is written if the document holds no intent of ours that ended."""
        if not self._ours_ended(self.shared, pair, open_intent):
            return None
        now = self.clock.now()

        def change(doc: Shared) -> Shared:
            sp = doc.pair(pair)
            if not self._ours_ended(doc, pair, open_intent):
                return doc
            unresolved = open_intent is not None and open_intent.status is IntentStatus.UNKNOWN
            latched = unresolved or (
                state.latched
                and (sp.acked_at is None or state.latched_at is None or state.latched_at > sp.acked_at)
            )
            done = replace(
                sp,
                intent=None,
                latched_at=(state.latched_at or sp.latched_at or now) if latched else None,
                cooldown_until=state.cooldown_until,
            )
            doc = doc.with_pair(pair, done)
            if ended is not None and sp.intent is not None and not counted(ended):
                doc = replace(doc, brake_failovers=_without(doc.brake_failovers, sp.intent.created_at))
            return doc

        return await self.write(change, fenced=False)

    def _ours_ended(self, doc: Shared | None, pair: str, open_intent: FailoverIntent | None) -> bool:
        """The document holds an intent of ours for `pair` that the journal no longer has open (or has
        as `unknown`: the latch says the rest, and `ack` ends it)."""
        if doc is None:
            return True  # not read yet: the write reads it
        si = doc.pair(pair).intent
        if si is None or si.holder != self.me:
            return False
        return (
            open_intent is None
            or open_intent.id != si.intent_id
            or open_intent.status is IntentStatus.UNKNOWN
        )

    # ---- operators (the CLI) ---------------------------------------------------------------------
    async def pause(self, pause: Pause) -> str | None:
        now = self.clock.now()

        def change(doc: Shared) -> Shared:
            kept = self._prune(doc, now)
            return replace(kept, pauses=(*kept.pauses, pause))

        return await self.write(change, fenced=False)

    async def resume(self, pair: str | None) -> tuple[int, str | None]:
        """End the pauses of `pair` (None: every pause); how many ended, and why not written."""
        ended = 0

        def change(doc: Shared) -> Shared:
            nonlocal ended
            kept = tuple(p for p in doc.pauses if pair is not None and p.pair != pair)
            ended = len(doc.pauses) - len(kept)
            return replace(doc, pauses=kept)

        why = await self.write(change, fenced=False)
        return ended, why

    async def ack(self, pair: str) -> tuple[bool, str | None]:
        """Clear the pair's latch for every instance (the cooldown still runs); refused while a
        failover intent of any instance is open for it. Whether it was latched, and why not written."""
        now, was = self.clock.now(), False

        def change(doc: Shared) -> Shared:
            nonlocal was
            sp = doc.pair(pair)
            if sp.intent is not None:
                raise Refused(
                    f"pair {pair}: {sp.intent.holder}'s failover intent {sp.intent.intent_id} "
                    "is still in flight; not acked"
                )
            was = sp.latched_at is not None
            return doc.with_pair(pair, replace(sp, latched_at=None, acked_at=now))

        why = await self.write(change, fenced=False)
        return was, why

    async def trip_brake(self, at: datetime) -> str | None:
        def change(doc: Shared) -> Shared:
            if doc.brake(1, self.window).tripped_at is not None:
                return doc
            return replace(doc, brake_tripped_at=at)

        return await self.write(change)

    async def reset_brake(self) -> tuple[bool, str | None]:
        now, was = self.clock.now(), False

        def change(doc: Shared) -> Shared:
            nonlocal was
            was = doc.brake(1, self.window).tripped_at is not None
            return replace(doc, brake_tripped_at=None, brake_reset_at=now)

        why = await self.write(change, fenced=False)
        return was, why


__all__ = ["Coordination", "Refused", "SharedPair", "later"]
