"""The shared operator state in etcd: one key, `<prefix>state`, written by compare-and-swap.

A write is one transaction comparing the key's `mod_revision` with the one read (`create_revision`
0 when the document does not exist yet); a fenced write also compares the leader key's
`create_revision` with the writer's term, so a leader that lost its lease cannot mark an intent
sent even if it does not know it lost it yet: the store itself refuses.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from watchdog.ha.etcd import EtcdClient, EtcdError, _b64
from watchdog.ha.shared import Change, Fenced, Shared, SharedStateError, decode, encode

RETRIES = 8  # compare-and-swap conflicts in a row before giving up (writers are a CLI and a leader)


class EtcdStateStore:
    def __init__(self, client: EtcdClient, key: str, leader_key: str) -> None:
        self.client, self.key, self.leader_key = client, key, leader_key

    async def load(self) -> Shared:
        try:
            kvs = (await self.client.call("kv/range", {"key": _b64(self.key)})).get("kvs") or []
        except EtcdError as exc:
            raise SharedStateError(f"shared state unreadable: {exc}") from exc
        if not kvs:
            return Shared(revision=0)
        text = base64.b64decode(kvs[0].get("value", "")).decode()
        return decode(text, int(kvs[0].get("mod_revision", 0)))

    async def update(self, change: Change, *, fence: int | None = None) -> Shared:
        for _ in range(RETRIES):
            try:
                current = await self.load()
            except SharedStateError as exc:
                raise SharedStateError(f"shared state not written: {exc}") from exc
            new = change(current)
            revision = await self._swap(current.revision, encode(new), fence)
            if revision is not None:
                return replace(new, revision=revision)
        raise SharedStateError(f"shared state: {RETRIES} write conflicts in a row; not written")

    async def _swap(self, expected: int, text: str, fence: int | None) -> int | None:
        """Write if nobody wrote since `expected` (and `fence` still leads); the new revision, or None
        on a conflict; Fenced if the fence failed."""
        k = _b64(self.key)
        compare: list[dict[str, Any]] = [
            {"key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"}
            if expected == 0
            else {"key": k, "target": "MOD", "result": "EQUAL", "mod_revision": str(expected)}
        ]
        if fence is not None:
            lk = _b64(self.leader_key)
            compare.append({"key": lk, "target": "CREATE", "result": "EQUAL", "create_revision": str(fence)})
        txn = {
            "compare": compare,
            "success": [{"request_put": {"key": k, "value": _b64(text)}}],
            "failure": [{"request_range": {"key": _b64(self.leader_key)}}],
        }
        try:
            answer = await self.client.call("kv/txn", txn)
        except EtcdError as exc:
            raise SharedStateError(f"shared state not written: {exc}") from exc
        if answer.get("succeeded"):
            return int(answer["header"]["revision"])
        if fence is not None and self._leader_revision(answer) != fence:
            raise Fenced(f"shared state not written: term {fence} no longer holds the leadership")
        return None

    @staticmethod
    def _leader_revision(answer: dict[str, Any]) -> int:
        for resp in answer.get("responses", []):
            kvs = (resp.get("response_range") or {}).get("kvs") or []
            if kvs:
                return int(kvs[0].get("create_revision", 0))
        return 0

    async def aclose(self) -> None:
        await self.client.aclose()
