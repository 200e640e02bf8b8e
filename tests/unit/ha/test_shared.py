"""The shared operator state's pure parts: the merge into a pair's journal state (a truth table and
properties), the brake it gives, and its JSON document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchdog.ha.shared import (
    FOREIGN_INTENT,
    Shared,
    SharedIntent,
    SharedPair,
    SharedStateError,
    decode,
    encode,
    overlay,
)
from watchdog.model import IntentStatus, PairState, Pause

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ME = "a"


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def intent(holder: str, sent: bool = False) -> SharedIntent:
    return SharedIntent(holder, 7, 1, at(0), sent, "dr-1", "prod-1")


# journal latched at, shared latched at, shared acked at -> latched after the merge
LATCH_TABLE = [
    (None, None, None, False),
    (at(10), None, None, True),  # the journal's own latch, no ack anywhere
    (at(10), None, at(20), False),  # acked through another instance after the latch
    (at(30), None, at(20), True),  # latched again after that ack
    (None, at(10), None, True),  # latched by another instance
    (at(10), at(10), at(20), True),  # the shared latch stands until the ack clears it there
]


@pytest.mark.parametrize(("local", "shared_latch", "acked", "expected"), LATCH_TABLE)
def test_latch_truth_table(
    local: datetime | None, shared_latch: datetime | None, acked: datetime | None, expected: bool
) -> None:
    state = PairState(latched=local is not None, latched_at=local)
    shared = Shared(pairs={"p": SharedPair(latched_at=shared_latch, acked_at=acked)})
    merged = overlay(state, shared, "p", ME, at(100))
    assert merged.latched is expected
    assert (merged.latched_at is not None) is expected


def test_pause_comes_from_the_shared_state_own_before_global_and_only_while_active() -> None:
    local = PairState(pause=Pause("journal's own", "x", at(0)))
    everyone = Pause("all", "ops", at(5))
    own = Pause("own", "ops", at(1), until=at(50), pair="p")
    shared = Shared(pauses=(everyone, own))
    assert overlay(local, shared, "p", ME, at(10)).pause == own
    assert overlay(local, shared, "p", ME, at(60)).pause == everyone
    assert overlay(local, shared, "q", ME, at(10)).pause == everyone
    assert overlay(local, Shared(), "p", ME, at(10)).pause is None  # resumed through the backend


def test_cooldown_is_the_later_of_both() -> None:
    state = PairState(cooldown_until=at(100))
    assert overlay(
        state, Shared(pairs={"p": SharedPair(cooldown_until=at(50))}), "p", ME, T0
    ).cooldown_until == at(100)
    assert overlay(
        state, Shared(pairs={"p": SharedPair(cooldown_until=at(200))}), "p", ME, T0
    ).cooldown_until == at(200)


@pytest.mark.parametrize(
    ("holder", "sent", "status"), [("b", False, IntentStatus.INTENDED), ("b", True, IntentStatus.SUBMITTED)]
)
def test_another_instances_open_intent_is_held_as_open(holder: str, sent: bool, status: IntentStatus) -> None:
    shared = Shared(pairs={"p": SharedPair(latched_at=at(0), intent=intent(holder, sent))})
    merged = overlay(PairState(), shared, "p", ME, at(1))
    assert (merged.open_intent_id, merged.open_intent_status) == (FOREIGN_INTENT, status)


def test_our_own_shared_intent_is_the_journals() -> None:
    shared = Shared(pairs={"p": SharedPair(latched_at=at(0), intent=intent(ME))})
    assert overlay(PairState(), shared, "p", ME, at(1)).open_intent_id is None
    local = PairState(open_intent_id=4, open_intent_status=IntentStatus.SUBMITTED)
    assert overlay(local, shared, "p", ME, at(1)).open_intent_id == 4


def test_brake_counts_since_the_reset_and_forgets_a_trip_before_it() -> None:
    shared = Shared(brake_failovers=(at(0), at(10), at(20)), brake_tripped_at=at(12), brake_reset_at=at(15))
    brake = shared.brake(3, 3600)
    assert brake.failovers == (at(20),)
    assert brake.tripped_at is None
    assert Shared(brake_failovers=(at(0),), brake_tripped_at=at(5)).brake(1, 60).tripped_at == at(5)


def test_a_pair_at_rest_leaves_the_document() -> None:
    shared = Shared().with_pair("p", SharedPair(latched_at=at(0))).with_pair("p", SharedPair())
    assert shared.pairs == {}


moments = st.integers(0, 1000).map(lambda s: at(s))
times = st.none() | moments


@given(
    local=times,
    shared_latch=times,
    acked=times,
    cooldown=times,
    holder=st.sampled_from(["a", "b"]),
    with_intent=st.booleans(),
)
def test_merge_never_makes_a_pair_less_guarded_than_the_shared_state(
    local: datetime | None,
    shared_latch: datetime | None,
    acked: datetime | None,
    cooldown: datetime | None,
    holder: str,
    with_intent: bool,
) -> None:
    """Whatever the journal says: a shared latch latches, a shared cooldown holds at least as long,
    another instance's open intent is an open intent."""
    sp = SharedPair(shared_latch, cooldown, acked, intent(holder) if with_intent else None)
    merged = overlay(
        PairState(latched=local is not None, latched_at=local), Shared(pairs={"p": sp}), "p", ME, T0
    )
    if shared_latch is not None:
        assert merged.latched
    if cooldown is not None:
        assert merged.cooldown_until is not None and merged.cooldown_until >= cooldown
    if with_intent and holder != ME:
        assert merged.open_intent_id == FOREIGN_INTENT


@given(
    pauses=st.lists(
        st.builds(
            Pause,
            st.text(min_size=1),
            st.text(min_size=1),
            moments,
            times,
            st.none() | st.sampled_from(["p", "q"]),
        ),
        max_size=3,
    ),
    latch=times,
    sent=st.booleans(),
    failovers=st.lists(moments, max_size=4),
)
@settings(deadline=None)  # a loaded CI machine is no reason to fail a round trip
def test_document_round_trips(
    pauses: list[Pause], latch: datetime | None, sent: bool, failovers: list[datetime]
) -> None:
    shared = Shared(
        pauses=tuple(pauses),
        pairs={"p": SharedPair(latch, at(5), None, intent("b", sent))},
        brake_failovers=tuple(failovers),
        brake_tripped_at=at(3),
        revision=9,
    )
    assert decode(encode(shared), 9) == shared


@pytest.mark.parametrize(
    "text", ["", "[]", '{"pauses": [{"reason": "x"}]}', '{"pairs": {"p": {"intent": {"holder": "b"}}}}']
)
def test_a_foreign_document_is_one_clear_error(text: str) -> None:
    with pytest.raises(SharedStateError, match=r"^shared state: not a document of dr-watchdog"):
        decode(text, 1)
