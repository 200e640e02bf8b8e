"""The operator state every instance of an HA group shares: pauses, acks, latches and cooldowns, open
failover intents with their fencing term, and the global brake (`docs/ha.md`, "Shared operator state").

One small JSON document in the coordination backend (etcd: the key `<prefix>state`; Kubernetes: a
ConfigMap), changed only by compare-and-swap on its revision (etcd's `mod_revision`, the object's
`resourceVersion`), so two writers never lose each other's change. It holds only what is not at
rest: a pair appears only while it is latched, cooling down or has an open intent, so its size
follows the pairs in trouble, not the fleet. Every instance reads it once per round; the CLI and the
executor write it; each instance's SQLite journal stays its local audit trail.

How a round merges it into a pair's journal state (`overlay`):
- pause: the shared one (the pair's own before a global one, still active), else none: with a
  shared backend a pause is given and ended through the backend only;
- latch: latched in the document, or latched in the journal after the newest shared ack of the pair
  (an ack through any instance's CLI re-arms every instance);
- cooldown: the later of the journal's and the document's;
- an open intent of another instance: held as an open intent (the policy tracks, starts nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from watchdog.model import Brake, IntentStatus, PairState, Pause

FOREIGN_INTENT = -1  # PairState.open_intent_id of an intent another instance holds


class SharedStateError(RuntimeError):
    """The shared state could not be read or written (the backend is unreachable or refused)."""


class Fenced(SharedStateError):
    """A write conditioned on this instance's leadership found another leader (or none)."""


@dataclass(frozen=True)
class SharedIntent:
    """An open failover intent as the group sees it: whose, under which term, sent or not."""

    holder: str
    term: int | None
    intent_id: int
    created_at: datetime
    sent: bool = False
    disaster_recovery_id: str = ""
    old_primary_id: str | None = None
    old_standby_id: str | None = None
    manual: bool = False  # made by `dr-watchdog failover` (holder: the CLI; term None, unfenced)


@dataclass(frozen=True)
class SharedPair:
    latched_at: datetime | None = None  # None: not latched
    cooldown_until: datetime | None = None
    acked_at: datetime | None = None
    intent: SharedIntent | None = None

    @property
    def at_rest(self) -> bool:
        return self.latched_at is None and self.cooldown_until is None and self.intent is None


@dataclass(frozen=True)
class Shared:
    """The document, as read at `revision` (0: it does not exist yet)."""

    pauses: tuple[Pause, ...] = ()
    pairs: Mapping[str, SharedPair] = field(default_factory=dict)
    brake_failovers: tuple[datetime, ...] = ()
    brake_tripped_at: datetime | None = None
    brake_reset_at: datetime | None = None
    revision: int = 0

    def pair(self, name: str) -> SharedPair:
        return self.pairs.get(name) or SharedPair()

    def with_pair(self, name: str, value: SharedPair) -> Shared:
        pairs = {k: v for k, v in self.pairs.items() if k != name}
        if not value.at_rest or value.acked_at is not None:
            pairs[name] = value
        return replace(self, pairs=pairs)

    def pause_of(self, pair: str, now: datetime) -> Pause | None:
        own = [p for p in self.pauses if p.pair == pair and p.active(now)]
        everyone = [p for p in self.pauses if p.pair is None and p.active(now)]
        found = sorted(own, key=lambda p: p.since, reverse=True) or sorted(
            everyone, key=lambda p: p.since, reverse=True
        )
        return found[0] if found else None

    def brake(self, max_failovers: int, window_seconds: float) -> Brake:
        reset = self.brake_reset_at
        counted = tuple(t for t in self.brake_failovers if reset is None or t >= reset)
        tripped = self.brake_tripped_at
        if tripped is not None and reset is not None and tripped <= reset:
            tripped = None
        return Brake(max_failovers, window_seconds, counted, tripped)


Change = Callable[[Shared], Shared]


class StateStore(Protocol):
    """Where the shared document lives. `update` applies `change` to the newest document and writes
    it with compare-and-swap, retrying on a conflict; with `fence` (a leader term) the write succeeds
    only while that term is still the leader's (else `Fenced`). Both raise SharedStateError when the
    backend cannot be reached."""

    async def load(self) -> Shared: ...

    async def update(self, change: Change, *, fence: int | None = None) -> Shared: ...

    async def aclose(self) -> None: ...


def overlay(state: PairState, shared: Shared, pair: str, me: str, now: datetime) -> PairState:
    """The pair's journal state with the group's shared state merged in (module docstring)."""
    sp = shared.pair(pair)
    latched = sp.latched_at is not None or (
        state.latched and (sp.acked_at is None or state.latched_at is None or state.latched_at > sp.acked_at)
    )
    cooldowns = [t for t in (state.cooldown_until, sp.cooldown_until) if t is not None]
    merged = replace(
        state,
        pause=shared.pause_of(pair, now),
        latched=latched,
        latched_at=(sp.latched_at or state.latched_at) if latched else None,
        cooldown_until=max(cooldowns) if cooldowns else None,
    )
    foreign = sp.intent is not None and sp.intent.holder != me
    if foreign and merged.open_intent_id is None:
        sent = sp.intent is not None and sp.intent.sent
        status = IntentStatus.SUBMITTED if sent else IntentStatus.INTENDED
        merged = replace(merged, open_intent_id=FOREIGN_INTENT, open_intent_status=status)
    return merged


# ---- the document's JSON ----------------------------------------------------------------------------
def _ts(t: datetime | None) -> float | None:
    return None if t is None else t.timestamp()


def _dt(v: Any) -> datetime | None:
    return None if v is None else datetime.fromtimestamp(float(v), tz=UTC)


def _req(v: Any) -> datetime:
    t = _dt(v)
    if t is None:
        raise SharedStateError("shared state: a required time is missing")
    return t


def encode(shared: Shared) -> str:
    doc = {
        "version": 1,
        "pauses": [
            {
                "pair": p.pair,
                "reason": p.reason,
                "owner": p.owner,
                "since": _ts(p.since),
                "until": _ts(p.until),
            }
            for p in shared.pauses
        ],
        "pairs": {name: _encode_pair(sp) for name, sp in sorted(shared.pairs.items())},
        "brake": {
            "failovers": [_ts(t) for t in shared.brake_failovers],
            "tripped_at": _ts(shared.brake_tripped_at),
            "reset_at": _ts(shared.brake_reset_at),
        },
    }
    return json.dumps(doc, separators=(",", ":"))


def _encode_pair(sp: SharedPair) -> dict[str, Any]:
    out: dict[str, Any] = {
        "latched_at": _ts(sp.latched_at),
        "cooldown_until": _ts(sp.cooldown_until),
        "acked_at": _ts(sp.acked_at),
    }
    if sp.intent is not None:
        i = sp.intent
        out["intent"] = {
            "holder": i.holder,
            "term": i.term,
            "id": i.intent_id,
            "created_at": _ts(i.created_at),
            "sent": i.sent,
            "dr_id": i.disaster_recovery_id,
            "old_primary_id": i.old_primary_id,
            "old_standby_id": i.old_standby_id,
            "manual": i.manual,
        }
    return out


def decode(text: str, revision: int) -> Shared:
    """The document as stored; SharedStateError (one line) if it is not one we wrote."""
    try:
        doc = json.loads(text)
        pauses = tuple(
            Pause(p["reason"], p["owner"], _req(p["since"]), _dt(p.get("until")), p.get("pair"))
            for p in doc.get("pauses", [])
        )
        pairs = {name: _decode_pair(v) for name, v in doc.get("pairs", {}).items()}
        brake = doc.get("brake", {})
        return Shared(
            pauses,
            pairs,
            tuple(_req(t) for t in brake.get("failovers", [])),
            _dt(brake.get("tripped_at")),
            _dt(brake.get("reset_at")),
            revision,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SharedStateError(
            f"shared state: not a document of dr-watchdog ({type(exc).__name__}: {exc})"
        ) from exc


def _decode_pair(v: dict[str, Any]) -> SharedPair:
    i = v.get("intent")
    intent = None
    if i is not None:
        intent = SharedIntent(
            i["holder"],
            i.get("term"),
            int(i["id"]),
            _req(i["created_at"]),
            bool(i.get("sent")),
            i.get("dr_id", ""),
            i.get("old_primary_id"),
            i.get("old_standby_id"),
            bool(i.get("manual")),
        )
    return SharedPair(_dt(v.get("latched_at")), _dt(v.get("cooldown_until")), _dt(v.get("acked_at")), intent)


class MemoryStore:
    """A StateStore in this process (one instance's tests, and the seam the others are tested on)."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.revision = 0
        self.term: int | None = None  # the leader's term, as a fenced write checks it

    async def load(self) -> Shared:
        return Shared(revision=0) if self.text is None else decode(self.text, self.revision)

    async def update(self, change: Change, *, fence: int | None = None) -> Shared:
        if fence is not None and fence != self.term:
            raise Fenced(f"shared state: term {fence} is not the leader's")
        new = change(await self.load())
        self.revision += 1
        self.text = encode(new)
        return replace(new, revision=self.revision)

    async def aclose(self) -> None:
        return None
