"""Operator commands that work on the journal, safe beside a running daemon.

Each opens the journal (SQLite in WAL mode with a busy timeout, so the daemon and the CLI share it),
does one thing, records who did it, and closes it. The daemon re-reads pauses, latches and intents
every round, so a pause or an ack counts from its next round.
"""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from watchdog import codec, group_commands, manual, replay, report, wiring
from watchdog.brake import describe
from watchdog.clock import SystemClock
from watchdog.ha.settings import HaBackend
from watchdog.journal import AckRefused, Journal
from watchdog.model import Decision, Observation, PairState, Policy
from watchdog.policy import evaluate
from watchdog.settings import Settings
from watchdog.status import matrix_row, pair_status, signals_doc, signals_text, status_document

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 3
Result = int | Coroutine[Any, Any, int]  # an HA group's command awaits its shared state


class UsageError(Exception):
    """A command that names something the configuration does not have (exit 2, like bad usage)."""

    exit_code = 2


def operator() -> str:
    """Who did it, for the audit trail: user@host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _pair_names(settings: Settings, pair: str | None) -> list[str]:
    if pair is None:
        return [p.name for p in settings.pairs]
    try:
        return [settings.pair(pair).name]
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None


def _now() -> datetime:
    return datetime.now(UTC)


def _fmt_seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.0f} s"


def _print_pair(entry: dict[str, Any]) -> None:
    if "journal" in entry:
        print(f"{entry['name']}: unknown (no journal yet: has the daemon run with this state.path?)")
        return
    production = entry.get("production", "?")
    dr = entry["dr_status"] or "not read"
    print(f"{entry['name']}: {entry['state']}  (production {production}, DR {dr})")
    if entry.get("api_error"):
        print(f"  {entry['api_error']}")
    print(f"  sync lag {_fmt_seconds(entry['sync_lag_seconds'])}, last sync {entry['last_sync'] or '-'}")
    print(f"  expected data loss {_fmt_seconds(entry.get('expected_data_loss_seconds'))}")
    _print_readiness(entry.get("failover_readiness"))
    if entry["paused"]:
        p = entry["paused"]
        print(f"  PAUSED by {p['owner']} since {p['since']} until {p['until'] or 'resume'}: {p['reason']}")
    last = entry.get("last_intent") or {}
    # the policy's rule (latched, newest intent failed), so it holds before a round follows a CLI failover
    if entry["latched"] and (entry["state"] == "failover_failed" or last.get("status") == "failed"):
        detail = last.get("detail") or "-"
        print(f"  FAILOVER FAILED (intent {last.get('id', '?')}), nothing was promoted: {detail}")
        print("  check the DR task and the error, then `dr-watchdog ack --config FILE --pair NAME` re-arms")
    elif entry["latched"]:
        print("  LATCHED after a failover: automatic failover disarmed until `dr-watchdog ack`")
    if entry["open_intent"]:
        print(f"  failover intent {entry['open_intent']['id']}: {entry['open_intent']['status']}")
    same = (
        f" (the same for {entry['rounds']} rounds since {entry['same_since']})"
        if entry.get("rounds", 1) > 1
        else ""
    )
    print(f"  last decision {entry['decided_at'] or '-'} rule {entry['rule'] or '-'}{same}")
    for reason in entry["reasons"]:
        print(f"    - {reason['message']}")
    for line in signals_text(entry.get("signals", []), entry.get("matrix_row")):
        print(line)
    for run in entry.get("hook_runs", [])[:1]:  # the latest; `status --json` has the last five
        when = f"{run['started_at']} for intent {run['intent_id']}"
        print(f"  last hook: {run['hook']} at {when}: {_hook_outcome(run)}")


def _print_readiness(ready: dict[str, Any] | None) -> None:
    if ready is None:
        return
    margin = f"RPO margin {_fmt_seconds(ready['rpo_margin_seconds'])}; mode {ready['mode']}"
    if ready["ready"]:
        print(f"  failover ready: yes ({margin})")
        return
    print(f"  failover NOT READY ({margin}): " + "; ".join(r["message"] for r in ready["reasons"]))


def _hook_outcome(run: dict[str, Any]) -> str:
    if run["could_not_start"]:
        how = f"could not start ({run['error']})"
    elif run["timed_out"]:
        how = f"timed out after {run['duration_seconds']:.0f} s"
    else:
        how = f"exit {run['exit_code']}"
    return how + (", VETOED the failover" if run["vetoed"] else "")


def status(settings: Settings, args: argparse.Namespace) -> int:
    """Every pair's state (or one, `--pair`) from the journal (the same document as GET /status)."""
    if args.pair is not None:
        _pair_names(settings, args.pair)
    doc = status_document(settings, only=args.pair)
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    else:
        for entry in doc["pairs"]:
            _print_pair(entry)
    return EXIT_OK


def _grouped(settings: Settings) -> bool:
    """An HA group: pause, resume, ack and the brake go through its shared state (group_commands)."""
    return settings.ha.backend is not HaBackend.NONE


def _journal(settings: Settings) -> Journal:
    """The journal for a command that writes (a pause may well come before the daemon's first start);
    the journal creates its directory, and names state.path if it cannot."""
    return Journal(settings.state.path)


def pause(settings: Settings, args: argparse.Namespace) -> Result:
    """Pause one pair or all: probes and metrics go on, no automatic action."""
    names = _pair_names(settings, args.pair)
    if _grouped(settings):
        return group_commands.pause(settings, args, operator(), names)
    with _journal(settings) as journal:
        try:
            journal.pause(args.pair, args.reason, operator(), _now(), args.until)
        except ValueError as exc:  # a blank reason, an --until in the past
            raise UsageError(str(exc)) from None
    until = args.until.isoformat() if args.until else "`dr-watchdog resume`"
    print(f"paused {', '.join(names) if args.pair else 'all pairs'} until {until}: {args.reason}")
    return EXIT_OK


def resume(settings: Settings, args: argparse.Namespace) -> Result:
    """End the pause of one pair (or every pause)."""
    _pair_names(settings, args.pair)
    if _grouped(settings):
        return group_commands.resume(settings, args, operator())
    with _journal(settings) as journal:
        ended = journal.resume(args.pair, operator(), _now())
    print(f"resumed: {ended} pause(s) ended" if ended else "nothing was paused")
    return EXIT_OK


def ack(settings: Settings, args: argparse.Namespace) -> Result:
    """Re-arm automatic failover on a pair after a failover (the latch); the cooldown still runs."""
    name = _pair_names(settings, args.pair)[0]
    if _grouped(settings):
        return group_commands.ack(settings, args, operator(), name)
    with _journal(settings) as journal:
        try:
            was = journal.ack(name, operator(), _now(), args.reason or None)
        except AckRefused as exc:
            print(f"dr-watchdog: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        entry = pair_status(journal, name, _now())
    print(f"{name}: acked; automatic failover re-armed" if was else f"{name}: was not latched; ack recorded")
    if entry["cooldown_until"]:
        print(f"  cooldown until {entry['cooldown_until']}")
    return EXIT_OK


def brake(settings: Settings, args: argparse.Namespace) -> Result:
    """`brake reset`: automatic failovers re-enabled after the global brake (the failovers so far stop
    counting); `brake status`: whether it is engaged and how many failovers it counts now."""
    ha, now = settings.ha, _now()
    if _grouped(settings):
        return group_commands.brake(settings, args, operator())
    with _journal(settings) as journal:
        if args.action == "reset":
            was = journal.reset_brake(operator(), now, args.reason or None)
            print(
                "global brake released: automatic failovers re-enabled"
                if was
                else "global brake was not engaged; reset recorded (the failovers so far no longer count)"
            )
            return EXIT_OK
        state = journal.brake(ha.max_automatic_failovers, ha.brake_window_seconds, now)
    print(describe(state, now))
    return EXIT_OK


# ---- commands that call the cloud API --------------------------------------------------------------


def _observation_text(obs: Observation, decision: Decision) -> list[str]:
    lines = [f"{obs.pair}: observed {obs.observed_at.isoformat()}"]
    lines += signals_text(signals_doc(obs), matrix_row(decision))
    if obs.heartbeat_at is not None:
        lag = (obs.observed_at - obs.heartbeat_at).total_seconds()
        lines.append(f"  newest heartbeat on DR {obs.heartbeat_at.isoformat()} ({lag:.0f} s ago)")
    if obs.last_sync_known and obs.last_sync is not None:
        lag = (obs.observed_at - obs.last_sync).total_seconds()
        lines.append(f"  last successful sync {obs.last_sync.isoformat()} ({lag:.0f} s ago)")
    else:
        lines.append("  last successful sync: unknown")
    return lines


def _decision_json(decision: Decision) -> dict[str, Any]:
    return report.decision_fields(decision)


async def probe(settings: Settings, args: argparse.Namespace) -> int:
    """One probe round now, and what the policy would decide; writes nothing, acts on nothing."""
    names = _pair_names(settings, args.pair)
    clock = SystemClock()
    async with wiring.build_clients(settings, None, clock) as clients:
        prober = wiring.build_prober(settings, clients, clock, timeout=settings.cloud.timeout_seconds * 3)
        observations = await prober.probe_round(clock.now())
    states = _states_if_journal(settings, names, clock.now())
    results = []
    for name in names:
        obs = observations[name]
        decision = evaluate(
            obs, states.get(name, PairState()), settings.policy_for(name), clock.now()
        ).decision
        results.append((obs, decision))
    _print_probe(results, as_json=args.json)
    seen_any = any(s.error is None for obs, _ in results for s in obs.signals)
    return EXIT_OK if seen_any else EXIT_FAILED


def _states_if_journal(settings: Settings, names: list[str], now: datetime) -> dict[str, PairState]:
    """Pair states from an existing journal (so the answer matches the daemon's); none if there is none."""
    if not settings.state.path.exists():
        return {}
    with Journal(settings.state.path) as journal:
        return {name: journal.load_state(name, now) for name in names}


def _print_probe(results: list[tuple[Observation, Decision]], *, as_json: bool) -> None:
    if as_json:
        doc = [
            {"observation": codec.observation_to_dict(o), "decision": _decision_json(d)} for o, d in results
        ]
        print(json.dumps(doc, indent=2, default=str))
        return
    for obs, decision in results:
        print("\n".join(_observation_text(obs, decision)))
        print(f"  would decide: {decision.state.value} (action {decision.action.value})")
        for reason in decision.reasons:
            print(f"    - {reason.message}")


async def failover(settings: Settings, args: argparse.Namespace) -> int:
    """Operator failover (`watchdog.manual`): probe and show first, refuse unless production is DOWN
    by the watchdog's rules or `--force`, confirm, then the same executor and journal as the daemon."""
    _pair_names(settings, args.pair)
    with _journal(settings) as journal:
        return await manual.failover(settings, args, journal, operator())


def export(settings: Settings, args: argparse.Namespace) -> int:
    """The journal's observations as JSON lines (the input of `replay`), to a file or stdout."""
    if args.pair is not None:
        _pair_names(settings, args.pair)
    if not settings.state.path.exists():
        raise UsageError(f"state.path: no journal at {settings.state.path}")
    with Journal(settings.state.path) as journal:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                count = replay.export_observations(journal, out, pair=args.pair)
        else:
            count = replay.export_observations(journal, sys.stdout, pair=args.pair)
    print(f"exported {count} observation(s)", file=sys.stderr)
    return EXIT_OK


def replay_cmd(settings: Settings, args: argparse.Namespace) -> int:
    """Run the configured policy over an exported timeline and print each decision with its reasons."""
    try:
        timeline = replay.load_timeline(args.timeline)
    except OSError as exc:
        raise UsageError(f"--timeline: cannot read {args.timeline}: {exc.strerror or exc}") from None
    except replay.TimelineError as exc:
        raise UsageError(str(exc)) from None
    known = {p.name for p in settings.pairs}

    def policy_for(pair: str) -> Policy:
        return settings.policy_for(pair) if pair in known else Policy(**settings.policy.model_dump())

    steps = replay.replay(timeline, policy_for)
    count = replay.print_replay(steps, sys.stdout, as_json=args.json)
    replay.print_summary(replay.summarize(steps), sys.stdout, as_json=args.json)
    print(f"replayed {count} observation(s)", file=sys.stderr)
    return EXIT_OK
