"""The SIGKILL driver as one instance of an HA group on a real etcd:
`python -m tests.integration.executor.driver_ha URL JOURNAL ETCD NAME [STEP FLAG]`.

Like `driver.py` (and its STEP/FLAG stop), plus: it campaigns for the leader key (short lease
timings) and renews it in the background, acts only while it holds it, reads the group's shared
state before each round and, as the leader, settles the document's open intents (`Takeover`): an
old leader's unsent intent is closed, a sent one is taken over and followed. STEP `hook` stops
inside the pre-failover hook: after the intent is claimed in the shared state, before the POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from tests.integration.executor.driver import DECIDED, pauser, stop_dead
from tests.integration.executor.helpers import Loop, WallClock
from watchdog.ha.coordination import Coordination
from watchdog.ha.etcd import EtcdClient, EtcdLeadership
from watchdog.ha.etcd_state import EtcdStateStore
from watchdog.ha.takeover import Takeover
from watchdog.journal import Journal
from watchdog.model import FailoverIntent
from watchdog.simulator.testing import TEST_PAIR_NAME

HOOK = "hook"
LEASE, DEADLINE, RETRY, TIMEOUT = 2.0, 1.5, 0.3, 0.25
LEADER, STATE = "/drw-crash/leader", "/drw-crash/state"


async def keep(leadership: EtcdLeadership) -> None:
    while True:
        with contextlib.suppress(Exception):
            await leadership.step()
        await asyncio.sleep(RETRY)


async def main(url: str, journal_path: str, etcd: str, name: str, step: str | None, flag: Path | None) -> int:
    leadership = EtcdLeadership(
        EtcdClient(etcd, timeout=TIMEOUT), LEADER, name, lease_seconds=LEASE, renew_deadline_seconds=DEADLINE
    )
    store = EtcdStateStore(EtcdClient(etcd, timeout=TIMEOUT), STATE, LEADER)
    tasks: list[asyncio.Task[FailoverIntent]] = []

    def spawn(_pair: str, work: Coroutine[Any, Any, FailoverIntent]) -> None:
        tasks.append(asyncio.create_task(work))

    with Journal(journal_path) as journal:
        loop = Loop.build(url, journal, WallClock(), on_step=pauser(step, flag))  # type: ignore[arg-type]
        coord = Coordination(store, name, loop.clock, term=leadership.term)
        ex = loop.executor
        ex.coordination, ex.may_act, ex.leader_term = coord, leadership.holds, leadership.term
        loop.coordination = coord
        takeover = Takeover(coord, journal, ex, spawn)
        if step == DECIDED and flag is not None:
            loop.on_decided = lambda: stop_dead(flag, DECIDED)
        if step == HOOK and flag is not None:
            ex.before_submit = lambda intent: stop_dead(flag, f"{HOOK} {intent.id}")

        async def before_round() -> None:
            await coord.load()
            await takeover.settle({TEST_PAIR_NAME})
            await asyncio.gather(*tasks)

        loop.before_round = before_round
        renewing = asyncio.create_task(keep(leadership))
        try:
            while not leadership.holds():
                await asyncio.sleep(RETRY)
            intent = await loop.run_to_completion()
        finally:
            renewing.cancel()
            await loop.client.aclose()
            await store.aclose()
    print(f"intent {intent.id if intent else None} {intent.status.value if intent else 'none'}", flush=True)
    return 0 if intent is not None else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    step = args[4] if len(args) > 4 else None
    flag = Path(args[5]) if len(args) > 5 else None
    sys.exit(asyncio.run(main(args[0], args[1], args[2], args[3], step, flag)))
