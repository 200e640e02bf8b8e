"""`dr-watchdog demo` (placeholder while the probes and the decision core land)."""

from __future__ import annotations

import sys


def run_demo(time_scale: float | None = None) -> int:
    print("dr-watchdog demo: not available in this build yet", file=sys.stderr)
    return 1
