"""Leader election on a Kubernetes `coordination.k8s.io/v1` Lease, over httpx (client-go's algorithm).

Why not the official client: the election needs GET, POST and PUT of two object kinds; httpx is
already our one HTTP client, with the timeouts and transports the tests inject.

Every `retry_period_seconds` each instance reads the Lease. A follower takes it when it is free
(no `holderIdentity`, as a resigned leader leaves it) or expired: `leaseDurationSeconds` after this
instance last *saw the record change*, by its own monotonic clock, as client-go does (never by
comparing `renewTime` with our clock: clocks of different hosts disagree). Taking it is a PUT with
the `metadata.resourceVersion` read (the API server's compare-and-swap), our identity and
`leaseTransitions + 1`; a missing Lease is created by POST with `leaseTransitions` 1. A 409
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
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from watchdog.ha.leadership import Leadership
from watchdog.ha.settings import HaSettings

log = logging.getLogger("watchdog.ha")

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
_SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


class KubeError(RuntimeError):
    """The API server could not be reached or refused a request (the leadership is then uncertain)."""


class KubeConfigError(KubeError):
    """`ha.kubernetes` cannot be used here (not in a pod, a file missing): the daemon exits 2."""

    exit_code = 2


def micro_time(t: datetime) -> str:
    """A MicroTime as the API server writes it: RFC 3339 with microseconds, in UTC."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class KubeClient:
    """JSON GET/POST/PUT on the API server with the service account's bearer token, re-read from
    `token_path` on every request (the kubelet rotates projected tokens)."""

    def __init__(
        self,
        api_url: str,
        *,
        token_path: str,
        ca_path: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token_path = Path(token_path)
        verify: ssl.SSLContext | bool = True
        if api_url.startswith("https://") and transport is None:
            try:
                verify = ssl.create_default_context(cafile=ca_path)
            except OSError as exc:
                raise KubeConfigError(
                    f"ha.kubernetes.ca_path: cannot read {ca_path}: {exc.strerror}"
                ) from exc
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"), timeout=timeout, transport=transport, verify=verify
        )

    def _token(self) -> str:
        try:
            return self.token_path.read_text().strip()
        except OSError as exc:
            raise KubeError(
                f"ha.kubernetes.token_path: cannot read {self.token_path}: {exc.strerror}"
            ) from exc

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """(status, object) for 200, 201, 404 and 409; KubeError for anything else (no token in it)."""
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        try:
            resp = await self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise KubeError(f"kubernetes {method} {path}: {type(exc).__name__}: {exc}") from exc
        if resp.status_code in (401, 403):
            why = "token refused" if resp.status_code == 401 else "forbidden: check the Role"
            raise KubeError(f"kubernetes {method} {path}: HTTP {resp.status_code} ({why})")
        if resp.status_code not in (200, 201, 404, 409):
            raise KubeError(f"kubernetes {method} {path}: HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            data: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise KubeError(f"kubernetes {method} {path}: HTTP {resp.status_code}: not JSON") from exc
        return resp.status_code, data

    async def aclose(self) -> None:
        await self._http.aclose()


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


def api_url(setting: str, environ: Mapping[str, str]) -> str:
    """`ha.kubernetes.api_url`, or in the cluster the service's address from the pod's environment."""
    if setting:
        return setting
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        raise KubeConfigError(
            "ha.kubernetes.api_url: empty and KUBERNETES_SERVICE_HOST is not set (not in a pod)"
        )
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def namespace(setting: str, path: str = _SA_NAMESPACE) -> str:
    """`ha.kubernetes.namespace`, or the pod's own from the service account's files."""
    if setting:
        return setting
    try:
        found = Path(path).read_text().strip()
    except OSError as exc:
        raise KubeConfigError(
            f"ha.kubernetes.namespace: empty and {path} unreadable: {exc.strerror}"
        ) from exc
    if not found:
        raise KubeConfigError(f"ha.kubernetes.namespace: empty and {path} is empty")
    return found


def kube_client(ha: HaSettings, environ: Mapping[str, str] = os.environ) -> KubeClient:
    k = ha.kubernetes
    url = api_url(k.api_url, environ)
    return KubeClient(url, token_path=k.token_path, ca_path=k.ca_path, timeout=k.timeout_seconds)


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
