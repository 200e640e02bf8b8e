"""`dr-watchdog demo`: the whole story on loopback, with no configuration and no cloud, in about 30 s.

The bundled simulator serves the DWS API on 127.0.0.1; the real daemon machinery (probes, the pure
policy, the journal, the executor, metrics over HTTP) watches two pairs in auto mode:
- `sales-dw`: production fails; the outage is confirmed, the failover is submitted and completes;
- `finance-dw`: its DR sync stalls while production is healthy, then production fails too; the
  RPO guard blocks the failover because the expected data loss exceeds the limit.
Everything happens in real time (the simulator's time scale is 1, so the watchdog's clock and the
API's timestamps agree); the journal lives in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from prometheus_client import CollectorRegistry

from watchdog.clock import SystemClock
from watchdog.daemon import Heartbeat, Loop
from watchdog.http import Endpoints, HttpServer
from watchdog.journal import Journal
from watchdog.logs import setup_logging
from watchdog.metrics import Metrics
from watchdog.model import Action, Decision, State
from watchdog.report import GUARD_REASONS, PROBES
from watchdog.rounds import RoundResult, Runtime
from watchdog.settings import Settings
from watchdog.simulator import SimPair, Simulator, SimulatorServer
from watchdog.simulator.testing import (
    FAST_TIMING,
    TEST_ACCESS_KEY,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
    add_test_credentials,
)
from watchdog.status import status_document

INTERVAL = 1.0
SALES, FINANCE = "sales-dw", "finance-dw"
# Real seconds after the start at which the script changes the world.
STALL_AT, BREAK_SALES_AT, BREAK_FINANCE_AT, END_AT, HARD_END_AT = 3.0, 5.0, 16.0, 27.0, 60.0


@dataclass
class Narrator:
    """Prints what happens, as it happens: probes, decisions with reasons, actions, the guard."""

    out: TextIO
    started: float = field(default_factory=time.monotonic)
    last: dict[str, tuple[State, Action, tuple[str, ...]]] = field(default_factory=dict)
    seen_failover: set[str] = field(default_factory=set)
    counted: dict[tuple[str, str], float] = field(default_factory=dict)

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:5.1f}s] {text}", file=self.out, flush=True)

    def lines(self, reason: str) -> None:
        """One reason as a bullet, wrapped at word boundaries (never cut)."""
        for number, line in enumerate(wrap(reason)):
            self.say(("      - " if number == 0 else "        ") + line)

    def round(self, number: int, result: RoundResult, metrics: Metrics) -> None:
        probes = "  |  ".join(self._probe_text(pair, metrics) for pair in (SALES, FINANCE))
        self.say(f"probe round {number:>2}: {probes}")
        for pair, decision in result.decisions.items():
            self._decision(pair, decision)
        self.failovers(metrics)

    def failovers(self, metrics: Metrics) -> None:
        """Announce each change of dr_watchdog_failovers_total (the executor's journaled steps)."""
        texts = {
            "submitted": "failover SUBMITTED: the API accepted it, the journal says so; tracking the DR task",
            "completed": "failover COMPLETED: roles swapped, new primary AVAILABLE; pair latched until ack",
            "failed": "failover FAILED (see the journal and the runbook)",
        }
        for pair in (SALES, FINANCE):
            for result, text in texts.items():
                labels = {"pair": pair, "result": result}
                count = metrics.registry.get_sample_value("dr_watchdog_failovers_total", labels) or 0.0
                if count > self.counted.get((pair, result), 0.0):
                    self.counted[(pair, result)] = count
                    self.say(f"  >>> {pair}: {text}")

    def _probe_text(self, pair: str, metrics: Metrics) -> str:
        reg = metrics.registry
        up = reg.get_sample_value("dr_watchdog_production_up", {"pair": pair})
        lag = reg.get_sample_value("dr_watchdog_sync_lag_seconds", {"pair": pair})
        ok = sum(
            int(reg.get_sample_value("dr_watchdog_probe_success", {"pair": pair, "probe": p}) or 0)
            for p in PROBES
        )
        prod = "unknown" if up is None or math.isnan(up) else ("up" if up == 1 else "DOWN")
        lag_text = "?" if lag is None or math.isnan(lag) else f"{lag:.0f}s"
        return f"{pair} production {prod}, sync lag {lag_text}, probes ok {ok}/{len(PROBES)}"

    def _decision(self, pair: str, d: Decision) -> None:
        key = (d.state, d.action, tuple(c.value for c in d.codes))
        if self.last.get(pair) == key:
            return
        self.last[pair] = key
        self.say(f"  decision {pair}: {d.state.value.upper()} (action {d.action.value}), because:")
        for reason in d.reasons:
            self.lines(reason.message)
        if d.action is Action.FAILOVER and pair not in self.seen_failover:
            self.seen_failover.add(pair)
            self.say(f"  >>> {pair}: failover intent journaled; submitting the failover to the DWS API")
        if d.state is State.BLOCKED:
            guards = [c.value for c in d.codes if c in GUARD_REASONS]
            self.say(f"  !!! {pair}: failover BLOCKED by guard(s) {', '.join(guards)}")


def wrap(text: str, width: int = 100) -> list[str]:
    """A reason in lines of at most `width` characters, broken between words only (a word longer
    than the width, e.g. an id, stays whole on its own line)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def confirm_text(settings: Settings) -> str:
    """The confirmation rule as the header states it, in the numbers the rounds print."""
    policy = settings.policy
    return f"{policy.failure_threshold} down rounds + {policy.min_outage_seconds:.0f} s confirm"


def demo_settings(sim_url: str, state_dir: Path, pairs: dict[str, str]) -> Settings:
    """The demo's configuration, built in code: auto mode, 1 s rounds, a 10 s RPO limit."""
    data: dict[str, Any] = {
        "cloud": {
            "endpoint": sim_url,
            "project_id": TEST_PROJECT_ID,
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "timeout_seconds": 0.8,
        },
        "pairs": [{"name": name, "disaster_recovery_id": dr_id} for name, dr_id in pairs.items()],
        "policy": {
            "mode": "auto",
            "probe_interval_seconds": INTERVAL,
            "failure_threshold": 3,
            "min_outage_seconds": 3,  # whole seconds: the rounds print "n/3 s"
            "max_data_loss_seconds": 10,
            "cooldown_seconds": 3600,
        },
        "failover": {"poll_interval_seconds": 0.5, "settle_seconds": 5, "unknown_grace_seconds": 10},
        "state": {"path": str(state_dir / "watchdog.db")},
        "http": {"listen": "127.0.0.1:0"},
        "log": {"format": "text", "level": "ERROR"},
    }
    return Settings(**data)


def _simulator() -> tuple[Simulator, dict[str, SimPair]]:
    sim = Simulator(time_scale=1.0, seed=11)
    add_test_credentials(sim)
    timing = {**FAST_TIMING, "failover_seconds": 3.0}
    pairs = {name: sim.add_pair(TEST_PROJECT_ID, name, **timing) for name in (SALES, FINANCE)}
    return sim, pairs


def _script(
    sim: Simulator, pairs: dict[str, SimPair], say: Callable[[str], None]
) -> list[tuple[float, Callable[[], None]]]:
    def stall() -> None:
        say(f"*** {FINANCE}: the DR sync stalls (production stays healthy; the DR copy ages)")
        sim.stall_sync(pairs[FINANCE].disaster_recovery_id)

    def break_sales() -> None:
        say(f"*** {SALES}: production cluster FAILS")
        sim.fail_cluster(pairs[SALES].primary_cluster_id)

    def break_finance() -> None:
        say(f"*** {FINANCE}: production cluster FAILS too (its last sync is now stale)")
        sim.fail_cluster(pairs[FINANCE].primary_cluster_id)

    return [(STALL_AT, stall), (BREAK_SALES_AT, break_sales), (BREAK_FINANCE_AT, break_finance)]


async def _drive(script: list[tuple[float, Callable[[], None]]], started: float, loop: Loop) -> None:
    for at, action in script:
        await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
        action()
    await asyncio.sleep(max(0.0, END_AT - (time.monotonic() - started)))
    loop.stop()


def _summary(
    narrator: Narrator, sim: Simulator, pairs: dict[str, SimPair], status: dict[str, Any], url: str
) -> None:
    say = narrator.say
    say("summary:")
    for entry in status.get("pairs", []):
        name = entry.get("name")
        calls = len(sim.failover_calls(pairs[name].disaster_recovery_id)) if name in pairs else 0
        say(f"  {name}: state {entry.get('state')}, failover POSTs seen by the API: {calls}")
        for reason in entry.get("reasons", [])[:3]:
            narrator.lines(str(reason.get("message")))
    say(f"  metrics were at {url}/metrics (status at {url}/status); the journal was in a temp dir")


async def _demo(out: TextIO) -> int:
    sim, pairs = _simulator()
    narrator = Narrator(out)
    with SimulatorServer(sim) as server, tempfile.TemporaryDirectory(prefix="drw-demo-") as tmp:
        settings = demo_settings(server.url, Path(tmp), {n: p.disaster_recovery_id for n, p in pairs.items()})
        registry = CollectorRegistry()
        metrics = Metrics(registry, pairs=list(pairs))
        journal = Journal(settings.state.path)
        runtime = Runtime(settings, SystemClock(), metrics, journal)
        heartbeat = Heartbeat(INTERVAL)
        http = HttpServer(
            settings.http.listen,
            Endpoints(
                registry,
                heartbeat.health,
                heartbeat.readiness,
                lambda: status_document(settings),
                metrics.exposition,
            ),
        )
        http.start()
        narrator.say(f"simulator (DWS API) on {server.url}; watchdog metrics on {http.url}/metrics")
        narrator.say(
            f"watching {SALES} and {FINANCE} (auto): {INTERVAL:.0f} s rounds; {confirm_text(settings)}; "
            f"RPO {settings.policy.max_data_loss_seconds:.0f} s"
        )
        counter = {"n": 0}

        async def one_round() -> None:
            result = await runtime.round()
            counter["n"] += 1
            narrator.round(counter["n"], result, metrics)

        loop = Loop(one_round, interval=INTERVAL, metrics=metrics, heartbeat=heartbeat)
        try:
            runtime.start()
            driver = asyncio.create_task(_drive(_script(sim, pairs, narrator.say), narrator.started, loop))
            await asyncio.wait_for(loop.run(), HARD_END_AT)
            await driver
            await runtime.finish_actions(grace=5.0)
            _summary(narrator, sim, pairs, status_document(settings), http.url)
        finally:
            await runtime.close()
            http.stop()
    return 0


def run_demo(out: TextIO | None = None) -> int:
    """Run the scripted demo; 0 when it told its story."""
    setup_logging("text", "ERROR", stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return asyncio.run(_demo(out or sys.stdout))
