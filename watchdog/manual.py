"""`dr-watchdog failover`: an operator's failover, shown before it is asked for, refused when unsafe.

The command probes the pair first and prints what a failover would do: production's state, the DR
side's state and the expected data loss. It refuses (exit 3, the reasons named) when the watchdog's
own rules say no (`policy.evaluate_manual`: production not DOWN this round, or a guard) unless
`--force`; a healthy production is moved with a planned switchover (the DWS console or its
switchover API), not with this tool. Otherwise it asks the operator to type the pair name back
(exit 4 if they do not), probes again (the first look may be minutes old by then) and hands the
failover to the same executor and journal as the daemon.
"""

from __future__ import annotations

import argparse
import sys

from watchdog import wiring
from watchdog.clients import CloudClients
from watchdog.clock import SystemClock
from watchdog.failover import ManualOutcome
from watchdog.ha.authority import build_coordination
from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import SharedStateError, overlay
from watchdog.hooks import HookRunner
from watchdog.journal import Journal
from watchdog.model import Action, Decision, Observation, ReasonCode
from watchdog.policy import evaluate_manual
from watchdog.settings import Settings

EXIT_REFUSED, EXIT_NOT_CONFIRMED = 3, 4
VERDICT_FACTS = frozenset(
    {
        ReasonCode.PRODUCTION_UP,
        ReasonCode.PRODUCTION_DOWN,
        ReasonCode.PRODUCTION_UNKNOWN,
        ReasonCode.SIGNALS_CONFLICT,
        ReasonCode.MANUAL,
        ReasonCode.FORCED,
    }
)


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.0f} s"


def preflight_text(obs: Observation, decision: Decision) -> list[str]:
    """What a failover would do, for the operator to read before confirming."""
    prod, dr, task = obs.production, obs.dr_cluster, obs.dr_task
    lines = [
        f"{obs.pair}: production {prod.status if prod else 'not seen'}"
        f" (this round's verdict: {decision.verdict.value})"
        + (f", cluster {prod.name or prod.id}" if prod else ""),
        f"  DR side: cluster {dr.status if dr else 'not seen'}"
        + (f" ({dr.name or dr.id})" if dr else "")
        + f", DR task {task.status if task else 'not seen'}",
    ]
    if obs.last_sync_known and obs.last_sync is not None:
        lines.append(f"  last successful sync {obs.last_sync.isoformat()}")
    else:
        lines.append("  last successful sync: unknown")
    lines.append(f"  expected data loss: {_seconds(decision.expected_data_loss_seconds)}")
    return lines


def refusal_text(name: str, decision: Decision) -> str:
    """One line: the refusing reasons by code and message, and how to override."""
    refusing = [r for r in decision.reasons if r.code not in VERDICT_FACTS]
    codes = ", ".join(r.code.value for r in refusing)
    messages = "; ".join(r.message for r in refusing)
    return f"dr-watchdog: {name}: failover refused ({codes}): {messages}; --force overrides a guard"


def _confirmed(pair: str) -> bool:
    """Ask the operator to type the pair name; anything else (or no terminal) aborts."""
    prompt = f"Fail over {pair}? This cannot be undone. Type the pair name to confirm: "
    try:
        return input(prompt).strip() == pair
    except EOFError:
        return False


async def _probe(settings: Settings, clients: CloudClients, name: str) -> Observation:
    """The pair as a round sees it, its data plane included (a fresh process: not yet proven)."""
    return await wiring.build_prober(settings, clients, SystemClock(), timeout=30.0).probe_pair(name)


async def failover(settings: Settings, args: argparse.Namespace, journal: Journal, requested_by: str) -> int:
    """Probe, show, refuse or confirm, then fail over through the executor (exit codes: module doc)."""
    name, clock, policy = args.pair, SystemClock(), settings.policy_for(args.pair)
    async with wiring.build_clients(settings, None, clock) as clients:
        obs = await _probe(settings, clients, name)
        coordination, why = await _group(settings, clock, requested_by, force=args.force)
        if why is not None:
            print(f"dr-watchdog: {why}", file=sys.stderr)
            return EXIT_REFUSED
        state = journal.load_state(name, clock.now())
        if coordination is not None and coordination.shared is not None:
            state = overlay(state, coordination.shared, name, coordination.me, clock.now())
        preview = evaluate_manual(obs, state, policy, clock.now(), force=args.force)
        print("\n".join(preflight_text(obs, preview.decision)))
        if preview.decision.action is not Action.FAILOVER:
            journal.record(obs, preview.decision, preview.next_state, state_before=state)
            print(refusal_text(name, preview.decision), file=sys.stderr)
            return EXIT_REFUSED
        if not args.yes:
            if not _confirmed(name):
                print("dr-watchdog: failover aborted (not confirmed)", file=sys.stderr)
                return EXIT_NOT_CONFIRMED
            obs = await _probe(settings, clients, name)
        hooks = HookRunner(settings.hooks, clock=clock)
        executor = wiring.build_executor(settings, journal, clients, clock, None, hooks, None, coordination)
        print(f"{name}: requesting failover (force={args.force}); this waits until the DR task settles")
        try:
            outcome = await executor.manual_failover(obs, policy, force=args.force, requested_by=requested_by)
        finally:
            if coordination is not None:
                await coordination.store.aclose()
    return _report(name, outcome)


async def _group(
    settings: Settings, clock: SystemClock, requested_by: str, *, force: bool
) -> tuple[Coordination | None, str | None]:
    """An HA group's shared state, read (so another instance's open intent refuses this failover,
    and this one's intent is claimed there); unreadable: refused, unless `force` (then without it)."""
    coordination = build_coordination(settings.ha, clock, me=f"cli:{requested_by}")
    if coordination is None:
        return None, None
    try:
        await coordination.load()
    except SharedStateError as exc:
        await coordination.store.aclose()
        if force:
            print(f"dr-watchdog: warning: {exc}; --force: failing over without it", file=sys.stderr)
            return None, None
        return None, (f"{exc}: another instance may be acting; not failed over (--force goes on without it)")
    return coordination, None


def _report(name: str, outcome: ManualOutcome) -> int:
    if outcome.intent is None:
        print(outcome.refused or refusal_text(name, outcome.decision), file=sys.stderr)
    else:
        intent = outcome.intent
        print(
            f"{name}: failover intent {intent.id} {intent.status.value}: {intent.detail or ''}".rstrip(": ")
        )
    return outcome.exit_code
