"""`dr-watchdog recover`: the guarded switchback after a failover (the DR `/recovery`). Never automatic.

The recovery rebuilds DR from the new production onto the old one and deletes the old production's
data, so it is allowed only when every one of these holds, else refused (exit 3, the reason named):
the pair's newest failover intent completed; no recovery of the pair is unfinished (a crash after
the journal row and before the answer leaves it `sent`: never sent twice, the operator checks the
console); none completed since that failover; the old production is AVAILABLE again; the DR task is
in a state that accepts a recovery (running, abnormal, stopped). It first prints what will be lost
(the window of data never synced, from the failover's intent, and everything written to the old
production since), then asks the operator to type the pair name and the id of the cluster whose data
will be deleted (or `--confirm-pair` and `--confirm-cluster`); anything else aborts (exit 4). The
row is journaled before the POST, the POST is sent once, and the DR task is followed until it runs
again. The pair stays latched: only `ack` re-arms automatic failover afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta

from watchdog import wiring
from watchdog.clock import SystemClock
from watchdog.dws.client import DwsClient
from watchdog.dws.errors import DwsError, RejectedError
from watchdog.dws.values import DrStatus
from watchdog.guards import HEALTHY_CLUSTER_STATUSES
from watchdog.journal import Journal
from watchdog.model import FailoverIntent, IntentStatus
from watchdog.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_NOT_CONFIRMED = 0, 1, 3, 4
RECOVERY_FROM = frozenset({DrStatus.RUNNING, DrStatus.ABNORMAL, DrStatus.STOPPED})


class Refused(Exception):
    """A recovery the state does not allow: one line, exit 3."""

    exit_code = EXIT_REFUSED


def _failover_to_recover(journal: Journal, name: str) -> FailoverIntent:
    intent = journal.latest_intent(name)
    if intent is None or intent.status is not IntentStatus.COMPLETED or not intent.old_primary_id:
        raise Refused(f"{name}: recovery refused: no completed failover to recover from")
    for r in journal.recoveries(name):
        if r.open:
            raise Refused(
                f"{name}: recovery refused: recovery {r.id} is not finished ({r.status}); check the DR "
                "task in the console (a recovery is never sent twice)"
            )
        if r.status == "completed" and r.intent_id == intent.id:
            raise Refused(f"{name}: recovery refused: already recovered after failover {intent.id} ({r.id})")
    return intent


async def _check_sides(client: DwsClient, old_host: DwsClient, name: str, intent: FailoverIntent) -> DrStatus:
    old = await old_host.show_cluster(intent.old_primary_id or "")
    status = old.status_raw or str(old.status.value)
    if status.upper() not in HEALTHY_CLUSTER_STATUSES:
        raise Refused(f"{name}: recovery refused: the old production {old.id} is {status}, not AVAILABLE")
    task = await client.show_disaster_recovery(intent.disaster_recovery_id)
    if task.status not in RECOVERY_FROM:
        raise Refused(f"{name}: recovery refused: the DR task is {task.status_raw or task.status}")
    return task.status


def loss_text(intent: FailoverIntent) -> list[str]:
    """What the recovery deletes, for the operator to read before confirming."""
    old = intent.old_primary_id
    lines = [f"The recovery deletes every piece of data on cluster {old} (the old production) and rebuilds"]
    lines.append(f"  it as the DR copy of {intent.old_standby_id}. Lost with it:")
    if intent.first_down_at is not None and intent.expected_data_loss_seconds is not None:
        start = intent.first_down_at - timedelta(seconds=intent.expected_data_loss_seconds)
        lines.append(
            f"  - data never synced to the DR side: {start.isoformat()} to {intent.first_down_at.isoformat()}"
            f" ({intent.expected_data_loss_seconds:.0f} s)"
        )
    else:
        lines.append("  - data never synced to the DR side: the window is unknown (no loss was recorded)")
    lines.append(f"  - anything written to {old} since the failover")
    return lines


def _confirmed(args: argparse.Namespace, name: str, cluster: str) -> bool:
    if args.confirm_pair is not None or args.confirm_cluster is not None:
        return bool(args.confirm_pair == name and args.confirm_cluster == cluster)
    try:
        return input("Type the pair name: ").strip() == name and (
            input(f"Type the id of the cluster whose data will be deleted ({cluster}): ").strip() == cluster
        )
    except EOFError:
        return False


async def _follow(client: DwsClient, dr_id: str, before: DrStatus, wait: float, poll: float) -> str | None:
    """Until the DR task runs again after leaving its state (or, from running, after it left running):
    'completed', 'failed' (start_failed), or None (not settled within `wait`)."""
    loop = asyncio.get_running_loop()
    deadline, moved = loop.time() + wait, False
    while loop.time() < deadline:
        await asyncio.sleep(poll)
        status = (await client.show_disaster_recovery(dr_id)).status
        moved = moved or status != before
        if status is DrStatus.START_FAILED:
            return "failed"
        if moved and status is DrStatus.RUNNING:
            return "completed"
    return None


async def recover(settings: Settings, args: argparse.Namespace, journal: Journal, requested_by: str) -> int:
    name, clock = args.pair, SystemClock()
    intent = _failover_to_recover(journal, name)
    async with wiring.build_clients(settings, None, clock) as clients:
        client = clients.acting(name)  # the side the failover went through (act_via)
        old_host = clients.for_cluster(name, intent.old_primary_id or "", "production")
        before = await _check_sides(client, old_host, name, intent)
        print("\n".join(loss_text(intent)))
        cluster = intent.old_primary_id or ""
        if not _confirmed(args, name, cluster):
            print("dr-watchdog: recovery aborted (not confirmed)", file=sys.stderr)
            return EXIT_NOT_CONFIRMED
        row = journal.create_recovery(
            name, intent.disaster_recovery_id, intent.id, cluster, requested_by, clock.now()
        )
        journal.mark_recovery(row.id, "sent", clock.now())
        try:
            await client.recovery(intent.disaster_recovery_id)
        except RejectedError as exc:  # a definite refusal: nothing started
            journal.mark_recovery(row.id, "failed", clock.now(), str(exc))
            print(f"dr-watchdog: {name}: recovery {row.id} refused by the API: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except DwsError as exc:  # no answer we can trust: it stays sent, never resent
            print(f"dr-watchdog: {name}: recovery {row.id} outcome unknown: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{name}: recovery {row.id} submitted; following the DR task")
        outcome = await _follow(client, intent.disaster_recovery_id, before, args.wait, args.poll)
    if outcome is None:
        print(f"dr-watchdog: {name}: recovery {row.id} not settled in {args.wait:.0f} s", file=sys.stderr)
        return EXIT_FAILED
    journal.mark_recovery(row.id, outcome, clock.now())
    print(f"{name}: recovery {row.id} {outcome}; the pair stays latched: `dr-watchdog ack` re-arms it")
    return EXIT_OK if outcome == "completed" else EXIT_FAILED
