"""The status document: `dr-watchdog status --json` and `GET /status` serve exactly this.

Built from the journal alone (not from the daemon's memory), so the CLI shows the same thing beside
a running daemon, or after it stopped, as the daemon's own /status does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from watchdog import __version__, readiness
from watchdog.guards import cooldown_text
from watchdog.ha.shared import Shared, overlay
from watchdog.journal import HookRunRecord, Journal, RecordedDecision
from watchdog.model import (
    Brake,
    Decision,
    FailoverIntent,
    Observation,
    PairState,
    Pause,
    Reason,
    ReasonCode,
    Verdict,
)
from watchdog.outage import confirmed_text
from watchdog.settings import Settings

Group = tuple[Shared, str]  # an HA group's shared state as last read, and this instance's name


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pause(pause: Pause | None) -> dict[str, Any] | None:
    if pause is None:
        return None
    return {
        "reason": pause.reason,
        "owner": pause.owner,
        "since": _iso(pause.since),
        "until": _iso(pause.until),
    }


def _intent(intent: FailoverIntent | None) -> dict[str, Any] | None:
    if intent is None:
        return None
    return {
        "id": intent.id,
        "status": intent.status.value,
        "manual": intent.manual,
        "created_at": _iso(intent.created_at),
        "submitted_at": _iso(intent.submitted_at),
        "finished_at": _iso(intent.finished_at),
        "detail": intent.detail,
    }


HOOK_RUNS_SHOWN = 5  # the latest hook runs per pair in the status document


def _hook_run(run: HookRunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "hook": run.hook.value,
        "intent_id": run.intent_id,
        "command": list(run.command),
        "started_at": _iso(run.started_at),
        "duration_seconds": run.duration_seconds,
        "exit_code": run.exit_code,
        "timed_out": run.timed_out,
        "could_not_start": run.could_not_start,
        "error": run.error,
        "vetoed": run.vetoed,
        "stdout_tail": run.stdout_tail,
        "stderr_tail": run.stderr_tail,
    }


def signals_doc(obs: Observation | None) -> list[dict[str, Any]]:
    """Every signal of the round: source, verdict, latency, detail and the read's error (no secret:
    signal texts never hold one)."""
    if obs is None:
        return []
    return [
        {
            "source": s.source.value,
            "verdict": s.verdict.value,
            "latency_seconds": s.latency_seconds,
            "detail": s.detail,
            "error": s.error,
        }
        for s in obs.signals
    ]


def matrix_row(decision: Decision | None) -> int | None:
    """The signal-matrix row (docs/decisions.md) that decided the round's verdict; None in journals
    written before the matrix existed."""
    for reason in decision.reasons if decision is not None else ():
        row = reason.values.get("matrix_row")
        if row is not None:
            return int(row)
    return None


def signals_text(signals: list[dict[str, Any]], row: int | None) -> list[str]:
    """The "signals" block of `status` and `probe`: one line per source, then the deciding row."""
    lines = ["  signals:"] if signals else []
    for s in signals:
        latency = "-" if s["latency_seconds"] is None else f"{s['latency_seconds'] * 1000:.0f} ms"
        error = f" [error: {s['error']}]" if s["error"] and s["error"] not in s["detail"] else ""
        lines.append(f"    {s['source']:<18} {s['verdict']:<8} {latency:>8}  {s['detail']}{error}")
    if row is not None:
        lines.append(f"  decided by signal matrix row {row} (docs/decisions.md)")
    return lines


def _observed(obs: Observation | None, seen_at: datetime | None = None) -> dict[str, Any]:
    """The observation as of `seen_at`: the last round of its run (the journal keeps a run of
    identical rounds as one row), else its own time."""
    if obs is None:
        return {
            "dr_status": None, "production_cluster": None, "last_sync": None, "sync_lag_seconds": None,
            "api_error": None, "signals": [],
        }  # fmt: skip
    seen_at = seen_at or obs.observed_at
    last_sync = obs.last_sync if obs.last_sync_known else None
    lag = (seen_at - last_sync).total_seconds() if last_sync is not None else None
    return {
        "dr_status": obs.dr_task.status if obs.dr_task else None,
        "production_cluster": obs.production.status if obs.production else None,
        "dr_cluster": obs.dr_cluster.status if obs.dr_cluster else None,
        "last_sync": _iso(last_sync),
        "sync_lag_seconds": lag,
        "observed_at": _iso(seen_at),
        "api_error": f"cannot read the API: {obs.auth_error}" if obs.auth_error else None,
        "heartbeat_at": _iso(obs.heartbeat_at),
        "signals": signals_doc(obs),
    }


def _decided(decision: Decision | None, last_at: datetime | None = None, rounds: int = 1) -> dict[str, Any]:
    """The decision; `decided_at` is its latest round, `same_since` the first of `rounds` identical ones."""
    if decision is None:
        return {
            "state": "unknown", "action": None, "rule": None, "decided_at": None, "reasons": [],
            "matrix_row": None,
        }  # fmt: skip
    return {
        "state": decision.state.value,
        "action": decision.action.value,
        "rule": decision.rule.value,
        "decided_at": _iso(last_at or decision.at),
        "same_since": _iso(decision.at),
        "rounds": rounds,
        "production": decision.verdict.value,
        # a run of DOWN rounds (a confirmed outage, unchanged) counts one more with each round
        "consecutive_down_rounds": decision.consecutive_down
        + (rounds - 1 if decision.verdict == "down" else 0),
        "first_down_at": _iso(decision.first_down_at),
        "expected_data_loss_seconds": decision.expected_data_loss_seconds,
        "mode": decision.policy.mode.value,
        "matrix_row": matrix_row(decision),
        "reasons": [
            {"code": r.code.value, "message": r.message, "values": dict(r.values)}
            for r in _restated(decision, last_at, rounds)
        ],
    }


def _restated(decision: Decision, last_at: datetime | None, rounds: int) -> list[Reason]:
    """The reasons as of the run's latest round: a run of DOWN rounds (a confirmed outage, unchanged)
    is kept as its first round, whose outage count and length and cooldown left only grew since."""
    if rounds <= 1 or last_at is None or decision.verdict is not Verdict.DOWN:
        return list(decision.reasons)
    later = (last_at - decision.at).total_seconds()
    restated = []
    for r in decision.reasons:
        v = dict(r.values)
        if r.code is ReasonCode.OUTAGE_CONFIRMED and {"consecutive_down", "outage_seconds"} <= v.keys():
            v["consecutive_down"] += rounds - 1
            v["outage_seconds"] += later
            r = Reason(r.code, confirmed_text(v["consecutive_down"], v["outage_seconds"]), v)
        elif r.code is ReasonCode.COOLDOWN and "cooldown_remaining_seconds" in v:
            v["cooldown_remaining_seconds"] = max(0.0, v["cooldown_remaining_seconds"] - later)
            r = Reason(r.code, cooldown_text(v["cooldown_remaining_seconds"]), v)
        restated.append(r)
    return restated


def pair_status(
    journal: Journal, name: str, now: datetime, brake: Brake | None = None, group: Group | None = None
) -> dict[str, Any]:
    """One pair: state, last decision and its reasons, health, DR status, sync lag, pause, latch, the
    open intent and the newest one (a refused or failed failover shows there with the API's error),
    and the latest hook runs (newest first). With `group` (an HA group's shared state and this
    instance's name), the pause, latch and cooldown are the group's, as the rounds merge them."""
    found = journal.decisions(name, limit=1)
    latest = found[0] if found else None
    state: PairState = journal.load_state(name, now)
    if group is not None:
        state = overlay(state, group[0], name, group[1], now)
    return {
        "name": name,
        **(_decided(latest.decision, latest.last_at, latest.rounds) if latest else _decided(None)),
        **(_observed(latest.observation, latest.last_at) if latest else _observed(None)),
        "paused": _pause(state.pause),
        "latched": state.latched,
        "cooldown_until": _iso(state.cooldown_until),
        "open_intent": _intent(journal.open_intent(name)),
        "last_intent": _intent(journal.latest_intent(name)),  # failed: refused or failed, see its detail
        "hook_runs": [_hook_run(r) for r in reversed(journal.hook_runs(name, limit=HOOK_RUNS_SHOWN))],
        "failover_readiness": _readiness(latest, state, now, brake),
    }


def _readiness(
    latest: RecordedDecision | None, state: PairState, now: datetime, brake: Brake | None
) -> dict[str, Any] | None:
    """Would an automatic failover go through if production died now (None: no round yet)."""
    if latest is None:
        return None
    policy = latest.decision.policy
    reasons = readiness.readiness(latest.observation, state, policy, now, brake)
    return {
        "ready": not reasons,
        "reasons": [{"code": r.code.value, "message": r.message} for r in reasons],
        "rpo_margin_seconds": readiness.margin_seconds(latest.observation, policy),
        "mode": readiness.mode_note(policy),
    }


def status_document(
    settings: Settings, now: datetime | None = None, only: str | None = None, group: Group | None = None
) -> dict[str, Any]:
    """Every configured pair's status (or the pair named `only`) from the journal at `state.path`,
    with an HA group's shared state (`group`) merged in, and the brake its count, when given."""
    now = now or datetime.now(UTC)
    names = [p.name for p in settings.pairs if only is None or p.name == only]
    if not settings.state.path.exists():  # the daemon never ran here: say so, create nothing
        pairs = [{"name": n, **_decided(None), **_observed(None), "journal": "none yet"} for n in names]
        return {"version": __version__, "generated_at": _iso(now), "pairs": pairs}
    with Journal(settings.state.path) as journal:
        ha = settings.ha
        brake = (
            group[0].brake(ha.max_automatic_failovers, ha.brake_window_seconds)
            if group is not None
            else journal.brake(ha.max_automatic_failovers, ha.brake_window_seconds, now)
        )
        pairs = [pair_status(journal, n, now, brake, group) for n in names]
    return {"version": __version__, "generated_at": _iso(now), "pairs": pairs}
