"""The incident document and page from a real SQLite journal: what each section holds, the window,
the unsynced window, escaping, and that the page needs nothing from outside."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.policy.builders import DR_ID, FAST, PAIR, at, observation
from watchdog.hooks import HookKind, HookResult
from watchdog.incident import collect, render
from watchdog.journal import Journal
from watchdog.model import IntentStatus, Verdict
from watchdog.policy import evaluate

HOSTILE = '<script>alert("x")</script>'


def _rounds(journal: Journal, verdicts: list[Verdict], **obs: object) -> None:
    for i, verdict in enumerate(verdicts):
        state = journal.load_state(PAIR, at(10 * i))
        o = observation(at(10 * i), verdict, **obs)  # type: ignore[arg-type]
        ev = evaluate(o, state, FAST, at(10 * i))
        journal.record(o, ev.decision, ev.next_state, state_before=state)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """Three UP rounds, four DOWN (the first at 30 s), a completed failover with a hook, a pause, an ack."""
    with Journal(tmp_path / "watchdog.db") as j:
        j.pause(PAIR, HOSTILE, "ann@ops", at(1), until=at(2))
        _rounds(j, [Verdict.UP] * 3 + [Verdict.DOWN] * 4)
        intent = j.create_intent(
            PAIR,
            DR_ID,
            at(61),
            old_primary_id="p",
            old_standby_id="s",
            first_down_at=at(30),
            expected_data_loss_seconds=90,
        )
        j.record_hook_run(
            PAIR,
            intent.id,
            HookResult(
                HookKind.PRE_FAILOVER,
                ("/bin/check", "--token", "s3cret"),
                at(61),
                0.2,
                0,
                False,
                None,
                "s3cret",
                "",
            ),
        )
        j.mark_sent(intent.id, at(62))
        j.mark_submitted(intent.id, at(63))
        j.finish_intent(intent.id, IntentStatus.COMPLETED, at(80), "switched")
        j.ack(PAIR, "bob@ops", at(90), note="reviewed")
        done = j.create_recovery(PAIR, DR_ID, intent.id, "p", "cid@ops", at(95))
        j.mark_recovery(done.id, "completed", at(99))
        yield j


def test_document_sections(journal: Journal) -> None:
    doc = collect(journal, PAIR, at(100))
    s = doc["summary"]
    assert (s["rounds"], s["down_rounds"], s["failovers"]) == (7, 4, 1)
    assert s["first_down_at"] == at(30).isoformat()
    # the intent's own record: the first DOWN round and the expected data loss the decision computed
    assert s["unsynced_window"] == {"start": at(-60).isoformat(), "end": at(30).isoformat(), "seconds": 90.0}
    assert [st["step"] for st in doc["failovers"][0]["steps"]] == [
        "intended",
        "sent",
        "submitted",
        "completed",
    ]
    assert [a["action"] for a in doc["operator_actions"]] == ["pause", "ack", "recover"]
    assert doc["operator_actions"][2]["who"] == "cid@ops" and "completed" in doc["operator_actions"][2]["why"]
    assert doc["operator_actions"][1]["who"] == "bob@ops"
    hook = doc["hook_runs"][0]
    assert hook["program"] == "/bin/check" and "s3cret" not in str(doc)  # argv and output stay out
    down = [r for r in doc["rounds"] if r["verdict"] == "down"]
    assert all(
        r["expected_data_loss_seconds"] is not None and r["rpo_limit_seconds"] == FAST.max_data_loss_seconds
        for r in down
    )
    assert all(r["sync_lag_seconds"] == 60.0 for r in doc["rounds"])


def test_window_filters_every_section(journal: Journal) -> None:
    doc = collect(journal, PAIR, at(100), since=at(35), until=at(70))
    assert doc["summary"]["rounds"] == 3 and doc["operator_actions"] == []
    assert len(doc["failovers"]) == 1 and len(doc["hook_runs"]) == 1
    assert collect(journal, PAIR, at(100), until=at(25))["summary"]["failovers"] == 0
    assert collect(journal, PAIR, at(100), until=at(25))["summary"]["unsynced_window"] is None


def test_unsynced_window_without_the_intents_loss(tmp_path: Path) -> None:
    """An intent without a recorded loss (forced, say): the last recoverable point seen by a round."""
    with Journal(tmp_path / "j.db") as j:
        _rounds(j, [Verdict.UP] * 3 + [Verdict.DOWN] * 2)
        j.create_intent(PAIR, DR_ID, at(45), old_primary_id="p", old_standby_id="s", first_down_at=at(30))
        window = collect(j, PAIR, at(50))["summary"]["unsynced_window"]
    # the last sync seen up to the first DOWN round is 60 s before it (the builder's default)
    assert window == {"start": at(-30).isoformat(), "end": at(30).isoformat(), "seconds": 60.0}


def test_heartbeat_older_than_sync_sets_the_recoverable_point(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        _rounds(j, [Verdict.UP], heartbeat_at=at(-300))
        row = collect(j, PAIR, at(10))["rounds"][0]
    assert row["last_sync"] == at(-300).isoformat() and row["sync_lag_seconds"] == 300.0


def test_page_is_self_contained_and_escaped(journal: Journal) -> None:
    page = render(collect(journal, PAIR, at(100)))
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)
    assert page.count('<svg class="chart"') == 2
    assert page.count('<li class="decision"') == 7 and page.count('data-action="failover"') == 1
    assert page.count('class="span down"') == 4  # each DOWN round drawn on production's band


def test_empty_journal_renders(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        doc = collect(j, PAIR, at(0) + timedelta(seconds=5))
    assert doc["summary"]["rounds"] == 0
    page = render(doc)
    assert page.count("none in this window") == 3 and '<ol id="decisions"></ol>' in page
