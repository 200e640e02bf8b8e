"""`dr-watchdog report`: one pair's incident report from the journal, as HTML or (`--json`) JSON."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from watchdog.incident.collect import collect
from watchdog.incident.page import render
from watchdog.journal import Journal
from watchdog.settings import Settings


class ReportError(Exception):
    """A report that cannot be made as asked (exit 2, like bad usage), with a one-line reason."""

    exit_code = 2


def report(settings: Settings, args: argparse.Namespace) -> int:
    try:
        pair = settings.pair(args.pair).name
    except KeyError as exc:
        raise ReportError(str(exc.args[0])) from None
    if args.since and args.until and args.since > args.until:
        raise ReportError(f"--since {args.since.isoformat()} is after --until {args.until.isoformat()}")
    if not settings.state.path.exists():
        raise ReportError(f"state.path: no journal at {settings.state.path}")
    with Journal(settings.state.path) as journal:
        doc = collect(journal, pair, datetime.now(UTC), args.since, args.until)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n" if args.json else render(doc)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    s = doc["summary"]
    print(
        f"report: {pair}: {s['rounds']} round(s), {s['down_rounds']} DOWN, {s['failovers']} failover(s)"
        + ("" if args.out == "-" else f" -> {args.out}"),
        file=sys.stderr,
    )
    return 0
