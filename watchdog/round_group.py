"""The HA group's part of a round (`watchdog.rounds`): the shared state read once per round, merged
into each pair's state and the brake, the leader's settling of its open intents, the brake engaged
there, and who notifies (docs/ha.md, "Shared operator state"). Without a shared backend every
method is the identity: the journal alone decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import SharedStateError, overlay
from watchdog.ha.takeover import Takeover
from watchdog.metrics import Metrics
from watchdog.model import Brake, PairState

log = logging.getLogger("watchdog.round")


class RoundGroup:
    def __init__(
        self,
        coordination: Coordination | None,
        takeover: Takeover | None,
        metrics: Metrics,
        pairs: Collection[str],
    ) -> None:
        self.coordination, self.takeover, self.metrics = coordination, takeover, metrics
        self.pairs = frozenset(pairs)

    async def read(self, leader: bool) -> bool:
        """Read the shared state for this round; False if it is unreadable (this instance then does
        not act this round: its last copy still holds the pauses and latches). As the leader, settle
        the document's open intents before deciding (`watchdog.ha.takeover`)."""
        if self.coordination is None:
            return True
        try:
            await self.coordination.load()
        except SharedStateError as exc:
            self.metrics.leader.set(0)
            self.metrics.coordination_up.set(0)
            log.warning("shared state unreadable: no action this round", extra={"error": str(exc)})
            return False
        if leader and self.takeover is not None:
            try:
                await self.takeover.settle(self.pairs)
            except Exception:
                log.exception("settling the shared intents failed; retried next round")
        return True

    @staticmethod
    def quiet(leader: bool, read: bool, reachable: bool) -> bool:
        """Notifications: a follower that sees the group (its election step and this round's read
        reached the backend) sends none, the leader does; when nobody can be sure who leads,
        everyone sends: duplicates beat silence."""
        return not leader and read and reachable

    def brake(self, max_failovers: int, window_seconds: float, journal: Callable[[], Brake]) -> Brake:
        """The brake this round starts from: the group's count, else the journal's."""
        shared = self.coordination.shared if self.coordination is not None else None
        return shared.brake(max_failovers, window_seconds) if shared is not None else journal()

    def merge(self, state: PairState, pair: str, now: datetime) -> PairState:
        """The pair's journal state with the group's merged in (`watchdog.ha.shared.overlay`)."""
        coord = self.coordination
        if coord is None or coord.shared is None:
            return state
        return overlay(state, coord.shared, pair, coord.me, now)

    async def share_brake(self, brake: Brake, leader: bool) -> None:
        """The leader engages the brake in the shared state too, the round it first blocks."""
        coord = self.coordination
        if coord is None or coord.shared is None or not leader or brake.tripped_at is None:
            return
        if coord.shared.brake(brake.max_failovers, brake.window_seconds).tripped_at is None:
            why = await coord.trip_brake(brake.tripped_at)
            if why is not None:
                log.warning("global brake not engaged in the shared state; retried", extra={"error": why})

    async def aclose(self) -> None:
        if self.coordination is not None:
            await self.coordination.store.aclose()
