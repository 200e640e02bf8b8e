"""The models of the last list answer's items, reused for items whose JSON is the same (issue 14).

A list answer is thousands of items a round (every cluster and DR task of a project), and at steady
state almost every item is what it was the round before. Validating each into its model again was
the largest part of a probe round's CPU (py-spy, 5,000 pairs). An item whose JSON text is exactly
the one of the last answer (a 128-bit BLAKE2b digest of `json.dumps` of the item: equal only for
equal content) gets the model made from that text, which is frozen and a pure function of it; any
other item is validated as before. Only the items of the latest answer are kept (per model class),
so the cache never grows beyond one answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

CACHE = "drw-item-cache"  # the validation context key of a list parse's ItemCache


def digest(item: dict[str, Any]) -> bytes:
    """The fingerprint of a JSON object (as parsed): equal digests only for equal JSON text."""
    text = json.dumps(item, ensure_ascii=False, allow_nan=True)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class ItemCache:
    """Per client: (model class, id) -> (digest, model) of the latest list answer's items."""

    def __init__(self) -> None:
        self._last: dict[type, dict[object, tuple[bytes, object]]] = {}
        self._next: dict[type, dict[object, tuple[bytes, object]]] = {}

    def begin(self, cls: type) -> None:
        """A new answer of `cls` items starts: what it does not repeat is forgotten at `end`."""
        self._next[cls] = {}

    def end(self, cls: type, complete: bool) -> None:
        """The answer is parsed; `complete`: keep its items (else, a failed parse: keep the last)."""
        done = self._next.pop(cls, {})
        if complete:
            self._last[cls] = done

    def get(self, cls: type, item_id: object, fingerprint: bytes) -> object | None:
        """The model of an item of the last answer with this id and fingerprint, if any."""
        hit = self._last.get(cls, {}).get(item_id)
        if hit is None or hit[0] != fingerprint:
            return None
        self._next.setdefault(cls, {})[item_id] = hit
        return hit[1]

    def put(self, cls: type, item_id: object, fingerprint: bytes, model: object) -> None:
        self._next.setdefault(cls, {})[item_id] = (fingerprint, model)
