"""Command line entry point (placeholder until the daemon issue lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("dr-watchdog: no commands yet", file=sys.stderr)
    return 2
