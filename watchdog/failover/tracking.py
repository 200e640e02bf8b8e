"""Following a sent failover: resolving an ambiguous answer against the DR task, then tracking the
switch to its outcome (completed, failed, or unknown after the timeout)."""

from __future__ import annotations

from watchdog.dws import errors
from watchdog.dws.models import ClusterStatus, DisasterRecoveryDetail, DrStatus
from watchdog.failover.base import Base, Step, log
from watchdog.model import FailoverIntent, IntentStatus


class Tracking(Base):
    """Watch the DR task after the POST; never send again."""

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
        """Poll until completed, failed, or the timeout (then unknown).

        Failed only on positive evidence: the task was seen `switchovering` and then left it with the
        roles not swapped. A task that does not show the switch yet (already `abnormal`, as in a real
        outage, and the API slow to start) is followed to `track_timeout_seconds`; a switch that
        completes late completes the intent (and runs the post-failover hook). `settle_seconds` only
        decides when that slowness is logged.
        """
        seen_switching, warned = False, False
        while True:
            detail = await self._read(intent)
            self._step(Step.POLLED, intent)
            if detail is not None:
                seen_switching = seen_switching or detail.status is DrStatus.SWITCHOVERING
                outcome = await self._judge(intent, detail, seen_switching)
                if outcome is not None:
                    return await self._finish(intent, *outcome)
                if not (seen_switching or warned) and self._elapsed(intent) >= self.timing.settle_seconds:
                    warned = True
                    log.warning(
                        "the DR task does not show the switch yet; still following it",
                        extra={"pair": intent.pair, "intent": intent.id, "status": detail.status_raw},
                    )
            if self._elapsed(intent) >= self.timing.track_timeout_seconds:
                limit = self.timing.track_timeout_seconds
                return self._unknown(intent, f"not finished within {limit:.0f} s")
            await self.clock.sleep(self.timing.poll_interval_seconds)

    async def _judge(
        self, intent: FailoverIntent, detail: DisasterRecoveryDetail, seen_switching: bool
    ) -> tuple[IntentStatus, str] | None:
        """(status, why) once the DR task says how it ended; None while it is still running."""
        swapped = self._swapped(intent, detail)
        if swapped and detail.status is not DrStatus.SWITCHOVERING:
            return await self._new_primary_ready(intent)
        left = detail.status not in (DrStatus.SWITCHOVERING, DrStatus.UNKNOWN)
        if seen_switching and left and not swapped:
            why = f"the DR task left switchovering ({detail.status_raw}) and the roles did not swap"
            return IntentStatus.FAILED, why
        return None

    async def _new_primary_ready(self, intent: FailoverIntent) -> tuple[IntentStatus, str] | None:
        assert intent.old_standby_id is not None
        try:
            client = self.cluster_for(intent.pair, intent.old_standby_id, "dr")
            cluster = await client.show_cluster(intent.old_standby_id)
        except errors.DwsError:
            return None
        if cluster.status is ClusterStatus.AVAILABLE and not cluster.action_progress:
            return IntentStatus.COMPLETED, f"roles swapped; new primary {cluster.id} is {cluster.status_raw}"
        return None
