"""Operator commands of the DR lifecycle: the guarded switchback, planned switchovers and drills.

Each checks the pair name, opens the journal (shared with a running daemon) and hands over to its
module (`watchdog.recover`, `watchdog.drill`), which refuses what is unsafe and records who did it.
"""

from __future__ import annotations

import argparse
import sys

from watchdog.commands import _journal, _pair_names, operator
from watchdog.settings import Settings


async def recover(settings: Settings, args: argparse.Namespace) -> int:
    """The guarded switchback (`watchdog.recover`): refused unless safe, confirmed by typing, once."""
    from watchdog.recover import recover as guarded

    _pair_names(settings, args.pair)
    with _journal(settings) as journal:
        return await guarded(settings, args, journal, operator())


async def _switch(settings: Settings, args: argparse.Namespace, legs: int) -> int:
    from watchdog import drill

    _pair_names(settings, args.pair)
    what = "drill (switch over and back)" if legs == 2 else f"{args.command}"
    if not args.yes:
        try:
            typed = input(f"Planned {what} of {args.pair}? Type the pair name to confirm: ").strip()
        except EOFError:
            typed = ""
        if typed != args.pair:
            print(f"dr-watchdog: {what} aborted (not confirmed)", file=sys.stderr)
            return 4
    with _journal(settings) as journal:
        return await drill.run(settings, args, journal, operator(), legs)


async def switchover(settings: Settings, args: argparse.Namespace) -> int:
    """A planned switchover (`watchdog.drill`): journaled before its one POST, followed to the end."""
    return await _switch(settings, args, 1)


async def drill(settings: Settings, args: argparse.Namespace) -> int:
    """A DR drill (`watchdog.drill`): switch over, the new production answers, with --back back."""
    return await _switch(settings, args, 2 if args.back else 1)
