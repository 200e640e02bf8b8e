"""Who may act: the seam between the rounds/executor and the HA backend.

`holds()` is read once per round (the policy's `leader` input) and again by the executor right
before the POST (fencing); `term()` is the fencing token journaled with each intent. Without HA
(`ha.backend: none`) the one instance always holds. The roadmap's shards would give each set of
pairs its own authority; today there is one, for all pairs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Protocol

from watchdog.clock import Clock
from watchdog.ha.coordination import Coordination
from watchdog.ha.etcd import EtcdClient, EtcdLeadership
from watchdog.ha.etcd_state import EtcdStateStore
from watchdog.ha.kube import KubeLeadership, kube_leadership
from watchdog.ha.kube_state import kube_store
from watchdog.ha.settings import HaBackend, HaSettings
from watchdog.ha.shared import StateStore
from watchdog.metrics import Metrics

log = logging.getLogger("watchdog.ha")


class Authority(Protocol):
    def holds(self) -> bool: ...

    def term(self) -> int | None: ...

    def reachable(self) -> bool: ...


class SoleAuthority:
    """One instance (the journal lock keeps it so): it always may act; no term."""

    def holds(self) -> bool:
        return True

    def term(self) -> int | None:
        return None

    def reachable(self) -> bool:
        return True


class LeaderLoop:
    """Runs the election every `retry_period_seconds` and exports `leader` and `coordination_up`."""

    def __init__(
        self, leadership: EtcdLeadership | KubeLeadership, retry_seconds: float, metrics: Metrics
    ) -> None:
        self.leadership, self.retry, self.metrics = leadership, retry_seconds, metrics
        self._task: asyncio.Task[None] | None = None

    def holds(self) -> bool:
        return self.leadership.holds()

    def reachable(self) -> bool:
        """The last election step reached the backend (else nobody can be sure who leads)."""
        return self.leadership.reachable

    def term(self) -> int | None:
        return self.leadership.term()

    async def start(self) -> None:
        """One step at once (a leader at start-up leads from the first round), then the loop."""
        await self._step()
        self._task = asyncio.create_task(self._run(), name="drw-leader")

    async def _step(self) -> None:
        held = await self.leadership.step()
        self.metrics.leader.set(1 if held else 0)
        self.metrics.coordination_up.set(1 if self.leadership.reachable else 0)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            try:
                await self._step()
            except Exception:
                log.exception("leader election step failed; retried")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.leadership.resign()
        await self.leadership.client.aclose()


def identity(ha: HaSettings) -> str:
    """This instance's name in the leader key and in the shared state's intents."""
    return ha.identity or f"{socket.gethostname()}/{os.getpid()}"


def _key(ha: HaSettings, name: str) -> str:
    return ha.etcd.prefix.rstrip("/") + "/" + name


def build_coordination(
    ha: HaSettings, clock: Clock, authority: Authority | None = None, *, me: str | None = None
) -> Coordination | None:
    """The shared operator state of the HA group (None for `ha.backend: none`). The daemon's writes
    are fenced by its leader term (`authority`); the CLI's (`me`: its own name) are not."""
    if ha.backend is HaBackend.NONE:
        return None
    name = me or identity(ha)
    if ha.backend is HaBackend.KUBERNETES:
        store: StateStore = kube_store(ha, name)
    else:
        client = EtcdClient(ha.etcd.endpoint, timeout=ha.etcd.timeout_seconds)
        store = EtcdStateStore(client, _key(ha, "state"), _key(ha, "leader"))
    term = authority.term if authority is not None else (lambda: None)
    return Coordination(store, name, clock, term=term, brake_window_seconds=ha.brake_window_seconds)


def build_authority(ha: HaSettings, metrics: Metrics) -> LeaderLoop | None:
    """The election for `ha.backend: etcd` or `kubernetes`; None for `none` (SoleAuthority)."""
    if ha.backend is HaBackend.NONE:
        return None
    if ha.backend is HaBackend.KUBERNETES:
        return LeaderLoop(kube_leadership(ha, identity(ha)), ha.lease.retry_period_seconds, metrics)
    client = EtcdClient(ha.etcd.endpoint, timeout=ha.etcd.timeout_seconds)
    lease = ha.lease
    leadership = EtcdLeadership(
        client,
        _key(ha, "leader"),
        identity(ha),
        lease_seconds=lease.lease_seconds,
        renew_deadline_seconds=lease.renew_deadline_seconds,
    )
    return LeaderLoop(leadership, lease.retry_period_seconds, metrics)
