"""The journal as an incident document: the rounds, the failover's steps, hooks and operators' acts.

Everything is plain JSON (times as ISO 8601 strings) so that `--json` and the HTML page show the
same facts. Rounds are the journal's decision rows: a row stands for a run of identical rounds
(`rounds` of them, from `at` to `last_at`), which is also how the page draws them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from watchdog.guards import recoverable_point
from watchdog.journal import HookRunRecord, Journal, RecordedDecision
from watchdog.model import FailoverIntent, Verdict

Json = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at <= until)


def _round(row: RecordedDecision) -> Json:
    d, obs = row.decision, row.observation
    point = recoverable_point(obs)
    lag = (obs.observed_at - point).total_seconds() if point is not None else None
    return {
        "id": row.id,
        "at": _iso(d.at),
        "last_at": _iso(row.last_at),
        "rounds": row.rounds,
        "verdict": d.verdict.value,
        "state": d.state.value,
        "action": d.action.value,
        "rule": d.rule.value,
        "manual": d.manual,
        "reasons": [{"code": r.code.value, "message": r.message} for r in d.reasons],
        "signals": [
            {"source": s.source.value, "verdict": s.verdict.value, "detail": s.detail} for s in obs.signals
        ],
        "sync_lag_seconds": lag,
        "last_sync": _iso(point),
        "expected_data_loss_seconds": d.expected_data_loss_seconds,
        "rpo_limit_seconds": d.policy.max_data_loss_seconds,
    }


def _steps(intent: FailoverIntent) -> list[Json]:
    named = [
        ("intended", intent.created_at),
        ("sent", intent.sent_at),
        ("submitted", intent.submitted_at),
        (intent.status.value if intent.status.final else "finished", intent.finished_at),
        ("acked", intent.acked_at),
    ]
    return [{"step": name, "at": _iso(at)} for name, at in named if at is not None]


def _intent(intent: FailoverIntent) -> Json:
    return {
        "id": intent.id,
        "status": intent.status.value,
        "manual": intent.manual,
        "forced": intent.forced,
        "requested_by": intent.requested_by,
        "old_primary_id": intent.old_primary_id,
        "old_standby_id": intent.old_standby_id,
        "first_down_at": _iso(intent.first_down_at),
        "expected_data_loss_seconds": intent.expected_data_loss_seconds,
        "detail": intent.detail,
        "steps": _steps(intent),
    }


def _hook(run: HookRunRecord) -> Json:
    # the argv's first word only: a hook's arguments and output are the operator's, not the review's
    return {
        "hook": run.hook.value,
        "intent_id": run.intent_id,
        "program": run.command[0] if run.command else "",
        "started_at": _iso(run.started_at),
        "duration_seconds": run.duration_seconds,
        "exit_code": run.exit_code,
        "timed_out": run.timed_out,
        "vetoed": run.vetoed,
        "error": run.error,
    }


def _operator_actions(journal: Journal, pair: str, intents: Iterable[FailoverIntent]) -> list[Json]:
    acts: list[Json] = []
    for p in journal.pauses(pair):
        scope = "every pair" if p.pause.pair is None else p.pause.pair
        acts.append(
            {
                "at": _iso(p.pause.since),
                "action": "pause",
                "who": p.pause.owner,
                "why": f"{p.pause.reason} ({scope})",
            }
        )
        if p.resumed_at is not None:
            acts.append({"at": _iso(p.resumed_at), "action": "resume", "who": p.resumed_by or "", "why": ""})
    for a in journal.acks(pair):
        acts.append({"at": _iso(a.at), "action": "ack", "who": a.owner, "why": a.note or ""})
    for r in journal.recoveries(pair):
        why = f"recovery {r.id} {r.status}: rebuilt DR onto {r.deleted_cluster_id}, its data deleted"
        acts.append({"at": _iso(r.created_at), "action": "recover", "who": r.requested_by, "why": why})
    for i in intents:
        if i.manual:
            why = "forced: guards skipped" if i.forced else "operator-initiated"
            acts.append({"at": _iso(i.created_at), "action": "failover", "who": i.requested_by, "why": why})
    return sorted(acts, key=lambda a: a["at"] or "")


def _unsynced(intents: list[Json], rounds: list[Json]) -> Json | None:
    """The window of data never synced to the DR side by the last failover: from the recoverable point
    to the first DOWN round of the outage it answered. The intent journals both (first_down_at and the
    expected data loss the decision computed from the standby side's sync time); an intent without the
    loss takes the last recoverable point seen in a round up to that first DOWN round. None: no failover."""
    done = [i for i in intents if i["first_down_at"]]
    if not done:
        return None
    end = datetime.fromisoformat(done[-1]["first_down_at"])
    loss = done[-1]["expected_data_loss_seconds"]
    if loss is not None:
        return {"start": _iso(end - timedelta(seconds=loss)), "end": _iso(end), "seconds": float(loss)}
    before = [r for r in rounds if r["last_sync"] and datetime.fromisoformat(r["at"]) <= end]
    if not before:
        return {"start": None, "end": _iso(end), "seconds": None}
    start = datetime.fromisoformat(before[-1]["last_sync"])
    return {"start": _iso(start), "end": _iso(end), "seconds": (end - start).total_seconds()}


def collect(
    journal: Journal, pair: str, now: datetime, since: datetime | None = None, until: datetime | None = None
) -> Json:
    """The incident document for `pair` between `since` and `until` (either open)."""
    rows = [
        r
        for r in journal.decisions(pair)
        if _within(r.decision.at, since, until) or _within(r.last_at, since, until)
    ]
    rounds = [_round(r) for r in rows]
    intents = [i for i in journal.intents(pair) if _within(i.created_at, since, until)]
    intent_docs = [_intent(i) for i in intents]
    hooks = [_hook(h) for h in journal.hook_runs(pair) if _within(h.started_at, since, until)]
    down = [r for r in rounds if r["verdict"] == Verdict.DOWN.value]
    return {
        "pair": pair,
        "generated_at": _iso(now),
        "since": _iso(since),
        "until": _iso(until),
        "summary": {
            "rounds": sum(r["rounds"] for r in rounds),
            "down_rounds": sum(r["rounds"] for r in down),
            "first_down_at": down[0]["at"] if down else None,
            "failovers": len(intent_docs),
            "unsynced_window": _unsynced(intent_docs, rounds),
        },
        "rounds": rounds,
        "failovers": intent_docs,
        "hook_runs": hooks,
        "operator_actions": [
            a
            for a in _operator_actions(journal, pair, intents)
            if _within(datetime.fromisoformat(a["at"]), since, until)
        ],
    }
