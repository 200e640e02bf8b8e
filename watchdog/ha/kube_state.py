"""The shared operator state in a Kubernetes ConfigMap (data key `state`), written by compare-and-swap.

A write is a PUT carrying the `metadata.resourceVersion` read (the API server answers 409 Conflict
if anyone wrote since), or a POST when the ConfigMap does not exist yet (409 AlreadyExists if
another writer created it first); both are retried. `resourceVersion` is opaque by the API's
contract: we only compare it for equality and send it back as read. `Shared.revision` is an int, so
it is the resourceVersion's integer value when it is a number (it is on every API server backed by
etcd), else a 63-bit hash of it (still equal exactly when the version is); the PUT always uses the
string itself.

A fenced write re-reads the Lease right before the PUT and requires our identity as its holder and
the writer's term as its `leaseTransitions`. This is **not atomic** (Kubernetes has no transaction
over two objects, unlike etcd's Txn): a leader that loses the Lease between that read and the PUT
still writes once. The window is one round trip; the term recorded in the document and the new
leader's reconciliation are what make that late write harmless.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from watchdog.ha.kube import LEASES, KubeLeadership, kube_leadership
from watchdog.ha.kube_client import CONFIGMAPS, KubeClient, KubeError, kube_client
from watchdog.ha.kube_client import namespace as pod_namespace
from watchdog.ha.settings import HaSettings
from watchdog.ha.shared import Change, Fenced, Shared, SharedStateError, decode, encode

RETRIES = 8  # write conflicts in a row before giving up (writers are a CLI and a leader)
BACKOFF_SECONDS = 0.02  # up to this times the attempt number between two tries
KEY = "state"


def revision(version: str) -> int:
    """Shared.revision of a resourceVersion (module docstring)."""
    if version.isdigit():
        return int(version)
    return int.from_bytes(hashlib.sha256(version.encode()).digest()[:8], "big") >> 1 or 1


class KubeStateStore:
    def __init__(self, client: KubeClient, namespace: str, name: str, lease_path: str, identity: str) -> None:
        self.client, self.identity, self.lease_path = client, identity, lease_path
        self.namespace, self.name = namespace, name
        self.collection = CONFIGMAPS.format(ns=namespace)
        self.path = f"{self.collection}/{name}"

    async def _read(self) -> tuple[Shared, dict[str, Any] | None]:
        """The document and the ConfigMap it was read from (None: it does not exist)."""
        status, cm = await self.client.request("GET", self.path)
        if status == 404:
            return Shared(revision=0), None
        if status != 200:
            raise KubeError(f"kubernetes GET {self.path}: HTTP {status}")
        version = str((cm.get("metadata") or {}).get("resourceVersion", ""))
        text = (cm.get("data") or {}).get(KEY)
        if text is None:
            return Shared(revision=revision(version)), cm
        return decode(text, revision(version)), cm

    async def load(self) -> Shared:
        try:
            return (await self._read())[0]
        except KubeError as exc:
            raise SharedStateError(f"shared state unreadable: {exc}") from exc

    async def update(self, change: Change, *, fence: int | None = None) -> Shared:
        for attempt in range(RETRIES):
            if attempt:  # a conflict: jittered backoff (client-go's RetryOnConflict backs off too)
                await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * attempt))
            try:
                current, cm = await self._read()
                new = change(current)
                if fence is not None:
                    await self._check_fence(fence)
                written = await self._write(cm, encode(new))
            except KubeError as exc:
                raise SharedStateError(f"shared state not written: {exc}") from exc
            if written is not None:
                version = str((written.get("metadata") or {}).get("resourceVersion", ""))
                return replace(new, revision=revision(version))
        raise SharedStateError(f"shared state: {RETRIES} write conflicts in a row; not written")

    async def _check_fence(self, fence: int) -> None:
        """Fenced unless the Lease is ours under `fence` now (not atomic with the write: docstring)."""
        status, lease = await self.client.request("GET", self.lease_path)
        spec = (lease.get("spec") or {}) if status == 200 else {}
        if spec.get("holderIdentity") != self.identity or int(spec.get("leaseTransitions") or 0) != fence:
            raise Fenced(f"shared state not written: term {fence} no longer holds the leadership")

    async def _write(self, cm: Mapping[str, Any] | None, text: str) -> dict[str, Any] | None:
        """The ConfigMap written, or None on a conflict (someone wrote or created it since)."""
        if cm is None:
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "data": {KEY: text},
            }
            status, written = await self.client.request("POST", self.collection, body)
        else:
            body = {**cm, "data": {**(cm.get("data") or {}), KEY: text}}
            status, written = await self.client.request("PUT", self.path, body)
        if status == 409:
            return None
        if status not in (200, 201):
            raise KubeError(f"kubernetes write {self.path}: HTTP {status}")
        return written

    async def aclose(self) -> None:
        await self.client.aclose()


def kube_store(ha: HaSettings, identity: str, environ: Mapping[str, str] = os.environ) -> KubeStateStore:
    """The shared state of `ha.backend: kubernetes`; fenced writes check `identity` holds the Lease."""
    k = ha.kubernetes
    ns = pod_namespace(k.namespace)
    lease_path = f"{LEASES.format(ns=ns)}/{k.lease_name}"
    return KubeStateStore(kube_client(ha, environ), ns, k.state_name, lease_path, identity)


def build_kube(
    ha: HaSettings, identity: str, environ: Mapping[str, str] = os.environ
) -> tuple[KubeLeadership, KubeStateStore]:
    """The election and the shared state of `ha.backend: kubernetes`, each with its own client."""
    return kube_leadership(ha, identity, environ), kube_store(ha, identity, environ)
