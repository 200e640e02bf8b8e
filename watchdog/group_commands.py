"""Operator commands of an HA group (`ha.backend` other than `none`): pause, resume, ack and the
brake go through the group's shared state, so they hold for every instance, whichever leads.

Each writes the shared document first (one compare-and-swap; unreachable or refused: one line on
stderr, exit 1, nothing changed), then records the same act in this instance's journal, its local
audit trail. `brake status` reads the shared document.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from watchdog.brake import describe
from watchdog.clock import SystemClock
from watchdog.ha.authority import build_coordination
from watchdog.ha.coordination import Coordination
from watchdog.ha.shared import SharedStateError
from watchdog.journal import AckRefused, Journal
from watchdog.model import Pause
from watchdog.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 3


def _coordination(settings: Settings, who: str) -> Coordination:
    coord = build_coordination(settings.ha, SystemClock(), me=f"cli:{who}")
    assert coord is not None  # only called with a shared backend
    return coord


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
    coord = _coordination(settings, who)
    try:
        why = await coord.pause(Pause(args.reason, who, now, args.until, args.pair))
    finally:
        await coord.store.aclose()
    if why is not None:
        return _failed(why)
    with Journal(settings.state.path) as journal:
        journal.pause(args.pair, args.reason, who, now, args.until)
    until = args.until.isoformat() if args.until else "`dr-watchdog resume`"
    target = ", ".join(names) if args.pair else "all pairs"
    print(f"paused {target} on every instance until {until}: {args.reason}")
    return EXIT_OK


async def resume(settings: Settings, args: argparse.Namespace, who: str) -> int:
    coord = _coordination(settings, who)
    try:
        ended, why = await coord.resume(args.pair)
    finally:
        await coord.store.aclose()
    if why is not None:
        return _failed(why)
    with Journal(settings.state.path) as journal:
        journal.resume(args.pair, who, datetime.now(UTC))
    print(f"resumed: {ended} pause(s) ended on every instance" if ended else "nothing was paused")
    return EXIT_OK


async def ack(settings: Settings, args: argparse.Namespace, who: str, name: str) -> int:
    coord = _coordination(settings, who)
    try:
        was, why = await coord.ack(name)
    finally:
        await coord.store.aclose()
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
    coord, ha, now = _coordination(settings, who), settings.ha, datetime.now(UTC)
    try:
        if args.action == "reset":
            was, why = await coord.reset_brake()
        else:
            shared, why, was = None, None, False
            try:
                shared = await coord.load()
            except SharedStateError as exc:
                why = str(exc)
    finally:
        await coord.store.aclose()
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
