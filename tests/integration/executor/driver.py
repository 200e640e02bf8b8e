"""The watchdog process of the SIGKILL tests: `python -m tests.integration.executor.driver URL JOURNAL`.

Runs reconcile and rounds against the simulator at URL until the failover completed. With STEP and
FLAG, it stops dead at the first time the executor reaches STEP: it creates the FLAG file and waits
to be killed, so the test can SIGKILL it exactly between two journaled steps. STEP `decided` is the
point after the FAILOVER decision (and its latch) is journaled, before the executor writes the intent.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tests.integration.executor.helpers import Loop, WallClock
from watchdog.failover import Step
from watchdog.journal import Journal
from watchdog.model import FailoverIntent

DECIDED = "decided"


def stop_dead(flag: Path, text: str) -> None:
    """Tell the test where we are, then wait for SIGKILL."""
    flag.write_text(text + "\n")
    while True:
        time.sleep(1)


def pauser(step: str | None, flag: Path | None) -> object:
    def on_step(reached: Step, intent: FailoverIntent) -> None:
        if step is not None and flag is not None and reached.value == step:
            stop_dead(flag, f"{reached.value} {intent.id}")

    return on_step


async def main(url: str, journal_path: str, step: str | None, flag: Path | None) -> int:
    with Journal(journal_path) as journal:
        loop = Loop.build(url, journal, WallClock(), on_step=pauser(step, flag))  # type: ignore[arg-type]
        if step == DECIDED and flag is not None:
            loop.on_decided = lambda: stop_dead(flag, DECIDED)
        try:
            intent = await loop.run_to_completion()
        finally:
            await loop.client.aclose()
    print(f"intent {intent.id if intent else None} {intent.status.value if intent else 'none'}", flush=True)
    return 0 if intent is not None else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    step = args[2] if len(args) > 2 else None
    flag = Path(args[3]) if len(args) > 3 else None
    sys.exit(asyncio.run(main(args[0], args[1], step, flag)))
