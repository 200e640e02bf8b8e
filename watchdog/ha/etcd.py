"""Leader election on etcd through its v3 JSON gateway (httpx; etcd 3.4 serves `/v3/...`).

Why the gateway and not a client library: the election needs five calls (lease grant, keepalive,
revoke, a transaction, a range); httpx is already our one HTTP client, with the timeouts and
transports the tests inject; the maintained async etcd clients bring gRPC and protobuf stacks for
that (and `aetcd` pins its own grpcio). Protobuf-JSON omits false and empty fields: a refused
transaction has no `succeeded`, an empty range no `kvs`; int64 values come as strings.

The election, with client-go's timings (`ha.lease`): every `retry_period_seconds` a follower grants
a lease of `lease_seconds` and puts the leader key with it in a transaction that succeeds only if
the key does not exist (`create_revision == 0`); the winner's term is the key's create revision
(it only grows, so a later leader always has a larger term: the fencing token in its intents). The
leader renews its lease every retry period and checks the key is still its own; it holds the
leadership only while its last successful renewal was *sent* less than `renew_deadline_seconds`
ago. etcd restarts the lease's countdown when it receives the renewal, after we sent it, so a
leader that holds always has at least `lease_seconds - renew_deadline_seconds` of lease left, and
no other instance can win before that lease expires.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import httpx

from watchdog.ha.leadership import Leadership

log = logging.getLogger("watchdog.ha")


class EtcdError(RuntimeError):
    """etcd could not be reached or refused a request (the leadership is then uncertain)."""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class EtcdClient:
    """The few v3 gateway calls the election needs."""

    def __init__(
        self, endpoint: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(base_url=endpoint.rstrip("/"), timeout=timeout, transport=transport)

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await self._http.post(f"/v3/{path}", json=body)
        except httpx.HTTPError as exc:
            raise EtcdError(f"etcd {path}: {type(exc).__name__}: {exc}") from exc
        if resp.status_code != 200:
            raise EtcdError(f"etcd {path}: HTTP {resp.status_code}: {resp.text[:200]}")
        data: dict[str, Any] = resp.json()
        result: dict[str, Any] = data.get("result", data)  # keepalive streams: its message is in "result"
        return result

    async def grant(self, ttl: float) -> int:
        # rounded up: a TTL shorter than the configured lease would void the holder's margin
        return int((await self.call("lease/grant", {"TTL": max(1, math.ceil(ttl))}))["ID"])

    async def keepalive(self, lease: int) -> bool:
        """True if the lease is still alive (a lease etcd already expired answers TTL 0 or absent)."""
        return int((await self.call("lease/keepalive", {"ID": lease})).get("TTL", 0)) > 0

    async def revoke(self, lease: int) -> None:
        await self.call("lease/revoke", {"ID": lease})

    async def create(self, key: str, value: str, lease: int) -> int | None:
        """Put `key` with `lease` if it does not exist; its create revision, or None if it existed."""
        k = _b64(key)
        txn = {
            "compare": [{"key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
            "success": [{"request_put": {"key": k, "value": _b64(value), "lease": lease}}],
        }
        answer = await self.call("kv/txn", txn)
        return int(answer["header"]["revision"]) if answer.get("succeeded") else None

    async def holder(self, key: str) -> tuple[str, int, int] | None:
        """(value, create revision, lease) of `key`, or None if it does not exist."""
        kvs = (await self.call("kv/range", {"key": _b64(key)})).get("kvs") or []
        if not kvs:
            return None
        kv = kvs[0]
        value = base64.b64decode(kv.get("value", "")).decode()
        return value, int(kv.get("create_revision", 0)), int(kv.get("lease", 0))

    async def aclose(self) -> None:
        await self._http.aclose()


class EtcdLeadership(Leadership):
    """One instance's side of the election on `key` (the module docstring)."""

    unreachable = EtcdError
    backend = "etcd"

    def __init__(
        self,
        client: EtcdClient,
        key: str,
        identity: str,
        *,
        lease_seconds: float,
        renew_deadline_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(identity, renew_deadline_seconds, monotonic)
        self.client, self.key, self.lease_seconds = client, key, lease_seconds
        self._lease: int | None = None

    async def _step(self) -> None:
        await (self._renew() if self._term is not None else self._campaign())

    async def _campaign(self) -> None:
        sent = self._monotonic()
        lease = await self.client.grant(self.lease_seconds)
        term = await self.client.create(self.key, self.identity, lease)
        if term is None:
            await self.client.revoke(lease)
            return
        self._lease = lease
        self._won(term, sent)

    async def _renew(self) -> None:
        assert self._lease is not None
        sent = self._monotonic()
        alive = await self.client.keepalive(self._lease)
        held = await self.client.holder(self.key)
        if not alive or held is None or held[1] != self._term:
            self._lose("lease expired or the key is another's")
            return
        self._renewed_at = sent

    def _lose(self, why: str) -> None:
        super()._lose(why)
        self._lease = None

    async def resign(self) -> None:
        """On a clean stop: revoke the lease so a follower takes over at once (best effort)."""
        lease, self._term, self._renewed_at = self._lease, None, None
        if lease is not None:
            try:
                await self.client.revoke(lease)
            except EtcdError:
                log.warning("could not revoke the lease; it expires by itself")
        self._lease = None
