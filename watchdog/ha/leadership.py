"""What the etcd and the Kubernetes elections share: when a leader *holds* the leadership, and one
election step that survives the store being unreachable (`docs/ha.md`, "The election")."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("watchdog.ha")


class Leadership:
    """One instance's side of an election. Subclasses implement `_step()` (campaign or renew once,
    raising `unreachable` when the store cannot be reached) and set `_term`/`_renewed_at` when they
    win or renew; `step()` once per retry period; `holds()` is the fencing check the executor makes
    right before the POST."""

    unreachable: type[Exception] = Exception
    backend = "the store"

    def __init__(
        self, identity: str, renew_deadline_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.identity, self.renew_deadline, self._monotonic = identity, renew_deadline_seconds, monotonic
        self._term: int | None = None
        self._renewed_at: float | None = None  # when the last successful renewal (or win) was sent
        self.reachable = True  # the last step reached the store

    def holds(self) -> bool:
        """Leader now, with at least lease - renew deadline of lease left (the renewal was *sent*
        less than the renew deadline ago), and the last step reached the store: a leader that just
        failed to renew treats its lease as uncertain and does not act until a renewal succeeds (the
        store lost must never lead to an action; a failover waits a retry period for a blip)."""
        if self._term is None or self._renewed_at is None or not self.reachable:
            return False
        return self._monotonic() - self._renewed_at < self.renew_deadline

    def term(self) -> int | None:
        """The fencing token while leading (it grows with every new leader)."""
        return self._term if self.holds() else None

    async def step(self) -> bool:
        """Campaign (follower) or renew (leader) once; returns holds(). The store unreachable: nothing
        changes but time, so a leader that cannot renew stops holding at its renew deadline."""
        try:
            await self._step()
            self.reachable = True
        except self.unreachable as exc:
            self.reachable = False
            log.warning(f"{self.backend} unreachable: leadership uncertain", extra={"error": str(exc)})
        if self._term is not None and not self.holds():
            self._lose("renew deadline passed")
        return self.holds()

    async def _step(self) -> None:
        raise NotImplementedError

    def _won(self, term: int, sent: float) -> None:
        self._term, self._renewed_at = term, sent
        log.warning("became the leader", extra={"term": term, "identity": self.identity})

    def _lose(self, why: str) -> None:
        if self._term is not None:
            log.warning("lost the leadership", extra={"term": self._term, "why": why})
        self._term, self._renewed_at = None, None
