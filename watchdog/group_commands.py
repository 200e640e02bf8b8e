"""Operator commands of an HA group (`ha.backend` other than `none`): pause, resume, ack and the
brake go through the group's shared state, so they hold for every instance, whichever leads.

Each writes the shared document first (one compare-and-swap; unreachable or refused: one line on
stderr, exit 1, nothing changed), then records the same act in this instance's journal, its local
audit trail. `brake status` reads the shared document.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from watchdog.brake import describe
from watchdog.clock import SystemClock
from watchdog.ha.authority import build_coordination
from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import SharedStateError
from watchdog.journal import AckRefused, Journal
from watchdog.model import Pause
from watchdog.settings import Settings
from watchdog.status import status_document

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 3


@asynccontextmanager
async def _coordination(settings: Settings, who: str) -> AsyncIterator[Coordination]:
    """The group's shared state for one command, its connection closed after it."""
    coord = build_coordination(settings.ha, SystemClock(), me=f"cli:{who}")
    assert coord is not None  # only called with a shared backend
    try:
        yield coord
    finally:
        await coord.store.aclose()


def _failed(why: str) -> int:
    print(f"dr-watchdog: {why}; nothing changed", file=sys.stderr)
    return EXIT_FAILED


async def pause(settings: Settings, args: argparse.Namespace, who: str, names: list[str]) -> int:
    now = datetime.now(UTC)
    if not args.reason.strip():
        print("dr-watchdog: reason: a pause needs a reason", file=sys.stderr)
        return 2
    if args.until is not None and args.until <= now:
        print(f"dr-watchdog: until: {args.until.isoformat()} is not in the future", file=sys.stderr)
        return 2
    async with _coordination(settings, who) as coord:
        why = await coord.pause(Pause(args.reason, who, now, args.until, args.pair))
    if why is not None:
        return _failed(why)
    with Journal(settings.state.path) as journal:
        journal.pause(args.pair, args.reason, who, now, args.until)
    until = args.until.isoformat() if args.until else "`dr-watchdog resume`"
    target = ", ".join(names) if args.pair else "all pairs"
    print(f"paused {target} on every instance until {until}: {args.reason}")
    return EXIT_OK


async def resume(settings: Settings, args: argparse.Namespace, who: str) -> int:
    async with _coordination(settings, who) as coord:
        ended, why = await coord.resume(args.pair)
    if why is not None:
        return _failed(why)
    with Journal(settings.state.path) as journal:
        journal.resume(args.pair, who, datetime.now(UTC))
    print(f"resumed: {ended} pause(s) ended on every instance" if ended else "nothing was paused")
    return EXIT_OK


async def ack(settings: Settings, args: argparse.Namespace, who: str, name: str) -> int:
    async with _coordination(settings, who) as coord:
        was, why = await coord.ack(name)
    if why is not None:
        print(f"dr-watchdog: {why}", file=sys.stderr)
        return EXIT_REFUSED if "in flight" in why else EXIT_FAILED
    with Journal(settings.state.path) as journal:
        try:
            was = journal.ack(name, who, datetime.now(UTC), args.reason or None) or was
        except AckRefused as exc:  # this instance still follows one: the group's latch is cleared
            print(f"dr-watchdog: this instance's journal: {exc}", file=sys.stderr)
    print(
        f"{name}: acked on every instance; automatic failover re-armed"
        if was
        else f"{name}: was not latched; ack recorded"
    )
    return EXIT_OK


async def brake(settings: Settings, args: argparse.Namespace, who: str) -> int:
    ha, now = settings.ha, datetime.now(UTC)
    async with _coordination(settings, who) as coord:
        if args.action == "reset":
            was, why = await coord.reset_brake()
        else:
            shared, why, was = None, None, False
            try:
                shared = await coord.load()
            except SharedStateError as exc:
                why = str(exc)
    if why is not None:
        return _failed(why)
    if args.action == "reset":
        with Journal(settings.state.path) as journal:
            journal.reset_brake(who, now, args.reason or None)
        print(
            "global brake released on every instance: automatic failovers re-enabled"
            if was
            else "global brake was not engaged; reset recorded (the failovers so far no longer count)"
        )
        return EXIT_OK
    assert shared is not None
    state = shared.brake(ha.max_automatic_failovers, ha.brake_window_seconds)
    print(describe(state, now, ", across the group"))
    return EXIT_OK


async def status(
    settings: Settings,
    args: argparse.Namespace,
    who: str,
    show: Callable[[dict[str, Any], argparse.Namespace], int],
) -> int:
    """`status` with the group's pauses, latches, cooldowns and brake; the shared state unreadable:
    this instance's journal alone, said on stderr and in the document (`shared_state`)."""
    async with _coordination(settings, who) as coord:
        try:
            shared, note = await coord.load(), "read"
        except SharedStateError as exc:
            shared, note = None, f"unreadable: {exc}"
            print(f"dr-watchdog: {exc}; showing this instance's journal alone", file=sys.stderr)
    group = (shared, coord.me) if shared is not None else None
    doc = status_document(settings, only=args.pair, group=group)
    return show({**doc, "shared_state": note}, args)
