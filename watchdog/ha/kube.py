"""Leader election on a Kubernetes `coordination.k8s.io/v1` Lease (client-go's algorithm), through
the small API client of `watchdog/ha/kube_client.py`.

Every `retry_period_seconds` each instance reads the Lease. A follower takes it when it is free
(no `holderIdentity`, as a resigned leader leaves it) or expired: `leaseDurationSeconds` after this
instance last *saw the record change*, by its own monotonic clock, as client-go does (never by
comparing `renewTime` with our clock: clocks of different hosts disagree). Taking it is a PUT with
the `metadata.resourceVersion` read (the API server's compare-and-swap), our identity and
`leaseTransitions + 1`; a missing Lease is created by POST with `leaseTransitions` 1 (or, if it
was deleted, one above the largest this instance saw). A 409
Conflict (or AlreadyExists) means another instance won the race: we stay a follower.

The **term** (the fencing token in intents) is `leaseTransitions` as we wrote it when we took the
Lease: it grows with every acquisition, so a later leader always has a larger term. The leader
renews every retry period by PUT with the resourceVersion just read; it holds the leadership only
while its last successful renewal was *sent* less than `renew_deadline_seconds` ago and its last
step reached the API server: the others start their countdown when they see the renewal, after we
sent it, so a holder has at least `lease - renew_deadline` left before anyone may take over.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from watchdog.ha.kube_client import KubeClient, KubeError, kube_client, micro_time, namespace
from watchdog.ha.leadership import Leadership
from watchdog.ha.settings import HaSettings

log = logging.getLogger("watchdog.ha")

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"


class KubeLeadership(Leadership):
    """One instance's side of the election on the Lease `name` (the module docstring)."""

    unreachable = KubeError
    backend = "kubernetes"

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        name: str,
        identity: str,
        *,
        lease_seconds: float,
        renew_deadline_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(identity, renew_deadline_seconds, monotonic)
        self.client, self.namespace, self.name = client, namespace, name
        self.collection = LEASES.format(ns=namespace)
        self.path = f"{self.collection}/{name}"
        self.lease_seconds, self._wall = lease_seconds, wall
        self._seen: tuple[str, float] | None = None  # (resourceVersion, monotonic time we first saw it)
        self._highest = 0  # the largest leaseTransitions seen: a re-created Lease starts above it

    async def _step(self) -> None:
        sent = self._monotonic()
        status, lease = await self.client.request("GET", self.path)
        if status == 404:
            if self._term is not None:
                self._lose("the Lease was deleted")
            else:
                await self._create(sent)
            return
        if status != 200:
            raise KubeError(f"kubernetes GET {self.path}: HTTP {status}")
        spec = lease.get("spec") or {}
        version = str((lease.get("metadata") or {}).get("resourceVersion", ""))
        if self._seen is None or self._seen[0] != version:
            self._seen = (version, self._monotonic())
        holder = spec.get("holderIdentity") or ""
        transitions = int(spec.get("leaseTransitions") or 0)
        self._highest = max(self._highest, transitions)
        if self._term is not None:
            if holder != self.identity or transitions != self._term:
                self._lose(f"the Lease is held by {holder or 'nobody'}")
                return
            await self._put(lease, spec, sent, transitions)
        elif not holder or holder == self.identity or self._expired(spec):
            await self._put(lease, spec, sent, transitions + 1)

    def _expired(self, spec: Mapping[str, Any]) -> bool:
        assert self._seen is not None
        duration = float(spec.get("leaseDurationSeconds") or 0)
        return self._monotonic() - self._seen[1] >= duration

    def _record(self, transitions: int, acquire: str | None) -> dict[str, Any]:
        now = micro_time(self._wall())
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, math.ceil(self.lease_seconds)),  # never shorter
            "acquireTime": acquire or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    async def _create(self, sent: float) -> None:
        term = self._highest + 1  # 1 for a new group; above every term we saw if it was deleted
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": self._record(term, None),
        }
        status, _ = await self.client.request("POST", self.collection, body)
        if status == 201:
            self._won(term, sent)
        elif status != 409:  # 409 AlreadyExists: another instance created it first
            raise KubeError(f"kubernetes POST {self.collection}: HTTP {status}")

    async def _put(
        self, lease: dict[str, Any], spec: Mapping[str, Any], sent: float, transitions: int
    ) -> None:
        renewing = self._term is not None
        acquire = spec.get("acquireTime") if renewing else None
        body = {**lease, "spec": {**spec, **self._record(transitions, acquire)}}
        status, _ = await self.client.request("PUT", self.path, body)
        if status == 409:  # someone wrote the Lease since we read it
            if renewing:
                self._lose("conflict on renewal")
            return
        if status != 200:
            raise KubeError(f"kubernetes PUT {self.path}: HTTP {status}")
        if renewing:
            self._renewed_at = sent
        else:
            self._won(transitions, sent)

    async def resign(self) -> None:
        """On a clean stop: release the Lease (no holder, 1 s duration; client-go's ReleaseOnCancel)
        so a follower takes over within a retry period (best effort: else it expires)."""
        term, self._term, self._renewed_at = self._term, None, None
        if term is None:
            return
        try:
            status, lease = await self.client.request("GET", self.path)
            spec = lease.get("spec") or {}
            if status != 200 or spec.get("holderIdentity") != self.identity:
                return
            released = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1}
            released["renewTime"] = micro_time(self._wall())
            status, _ = await self.client.request("PUT", self.path, {**lease, "spec": released})
            if status != 200:
                log.warning("could not release the Lease; it expires by itself")
        except KubeError:
            log.warning("could not release the Lease; it expires by itself")


def kube_leadership(ha: HaSettings, identity: str, environ: Mapping[str, str] = os.environ) -> KubeLeadership:
    k, lease = ha.kubernetes, ha.lease
    return KubeLeadership(
        kube_client(ha, environ),
        namespace(k.namespace),
        k.lease_name,
        identity,
        lease_seconds=lease.lease_seconds,
        renew_deadline_seconds=lease.renew_deadline_seconds,
    )


async def lease_holder(ha: HaSettings, environ: Mapping[str, str] = os.environ) -> str | None:
    """Who the Lease names as its holder (None: released or never created); KubeError if unreadable.
    Whether that holder's lease has expired is not judged: a reader cannot tell without watching."""
    leadership = kube_leadership(ha, "", environ)
    try:
        status, lease = await leadership.client.request("GET", leadership.path)
    finally:
        await leadership.client.aclose()
    if status == 404:
        return None
    if status != 200:
        raise KubeError(f"kubernetes GET {leadership.path}: HTTP {status}")
    return (lease.get("spec") or {}).get("holderIdentity") or None
