"""Planned switchovers and DR drills (`dr-watchdog switchover`, `dr-watchdog drill [--back]`).

A planned switchover (the DR `/switchover`: RPO 0) is allowed only while production is UP by the
watchdog's own rules, the DR task `running` and the DR cluster healthy; never while any configured
pair is in an outage (DOWN rounds counted, or a failover intent open), the pair is paused, or (with
`ha.backend: etcd` or `kubernetes`) a watchdog instance holds the leader lease or the lease cannot
be read (exit 3, the reason named). Each leg is a journal row written before its one POST
(`switches`), then followed until the DR task runs again with the roles swapped (the switch time)
and the new production answers a probe round (control plane, and its SQL endpoint where a data plane
is configured: the time until it answered). The failover hooks run around each leg with
DRW_ACTION=switchover: a pre-failover veto stops it before the POST, the post-failover hook repoints
clients after it, and both runs are journaled. A drill is one or two legs (`--back` switches back).
A rerun after a crash reconciles an open leg with the DR task's roles instead of switching again: a
sent leg is followed, not resent; one never sent is closed and the command asks to be run again. The
daemon beside sees the switch as a switch (`switch_in_progress`), never as an outage, and learns the
new roles on the next UP round.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from watchdog import wiring
from watchdog.clients import CloudClients
from watchdog.clock import SystemClock
from watchdog.dws.errors import DwsError, RejectedError
from watchdog.dws.values import DrStatus
from watchdog.guards import HEALTHY_CLUSTER_STATUSES
from watchdog.ha.etcd import EtcdClient, EtcdError
from watchdog.ha.kube import lease_holder
from watchdog.ha.kube_client import KubeError
from watchdog.ha.settings import HaBackend, HaSettings
from watchdog.hooks import HookContext, HookResult, HookRunner
from watchdog.journal import Journal
from watchdog.journal.switches import Switch
from watchdog.model import Observation, SignalSource, Verdict
from watchdog.probes import Prober
from watchdog.settings import Settings
from watchdog.verdict import production_verdict

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 3


class Refused(Exception):
    exit_code = EXIT_REFUSED


class Failed(Exception):
    exit_code = EXIT_FAILED


def _refuse_fleet(settings: Settings, journal: Journal, name: str, now: datetime) -> None:
    """No switch while any pair is in an outage, nor on a paused pair."""
    states = journal.load_states([p.name for p in settings.pairs], now)
    busy = sorted(p for p, s in states.items() if s.consecutive_down > 0 or s.open_intent_id is not None)
    if busy:
        raise Refused(f"{name}: refused: pair(s) in an outage: {', '.join(busy)}")
    pause = states[name].pause if name in states else None
    if pause is not None and pause.active(now):
        raise Refused(f"{name}: refused: paused by {pause.owner}: {pause.reason}")


async def refuse_lease(settings: Settings, name: str) -> None:
    """With an HA backend, no drill while a watchdog instance holds the leader lease (it would act
    on what the drill does), nor while the lease cannot be read (who acts is then unknown)."""
    ha = settings.ha
    if ha.backend is HaBackend.NONE:
        return
    try:
        holder = await _lease_holder(ha)
    except (EtcdError, KubeError) as exc:
        raise Refused(f"{name}: refused: cannot read the leader lease: {exc}") from None
    if holder is not None:
        raise Refused(
            f"{name}: refused: watchdog instance {holder} holds the leader lease; stop the HA group first"
        )


async def _lease_holder(ha: HaSettings) -> str | None:
    if ha.backend is HaBackend.KUBERNETES:
        return await lease_holder(ha)
    client = EtcdClient(ha.etcd.endpoint, timeout=ha.etcd.timeout_seconds)
    try:
        holder = await client.holder(ha.etcd.prefix.rstrip("/") + "/leader")
    finally:
        await client.aclose()
    return None if holder is None else holder[0]


def _refuse_round(settings: Settings, obs: Observation) -> tuple[str, str]:
    """(production, DR cluster) ids when a planned switchover is allowed now; else Refused."""
    task, dr = obs.dr_task, obs.dr_cluster
    verdict = production_verdict(obs.signals, settings.policy_for(obs.pair))
    if verdict is not Verdict.UP:
        raise Refused(
            f"{obs.pair}: refused: production is {verdict.value}, not UP (a failover is for outages)"
        )
    if task is None or task.status.lower() != "running":
        raise Refused(
            f"{obs.pair}: refused: the DR task is {task.status if task else 'not seen'}, not running"
        )
    if dr is None or dr.status.upper() not in HEALTHY_CLUSTER_STATUSES:
        raise Refused(f"{obs.pair}: refused: the DR cluster is {dr.status if dr else 'not seen'}")
    return task.primary_cluster_id, task.standby_cluster_id


class Legs:
    """One pair's legs against the API: send, follow the switch, wait for the new production."""

    def __init__(
        self, settings: Settings, clients: CloudClients, journal: Journal, args: argparse.Namespace
    ) -> None:
        self.clock = SystemClock()
        self.client = clients.acting(args.pair)  # the side that takes the pair's actions (act_via)
        self.settings, self.journal, self.args = settings, journal, args
        self.prober: Prober = wiring.build_prober(settings, clients, self.clock, timeout=30.0)
        self.hooks = HookRunner(settings.hooks, clock=self.clock)

    async def _hook(self, leg: Switch, pre: bool) -> HookResult | None:
        """The failover hooks around a leg (DRW_ACTION=switchover), journaled with the pair."""
        context = HookContext(
            leg.pair, leg.disaster_recovery_id, leg.from_primary, leg.to_primary, 0.0, action="switchover"
        )
        if pre:
            result = await self.hooks.pre_failover(context)
        else:
            result = await self.hooks.post_failover(replace(context, outcome=leg.status))
        if result is not None:
            self.journal.record_hook_run(leg.pair, None, result)
        return result

    async def _until(self, what: str, done: Callable[[], Awaitable[bool]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.args.wait
        while not await done():
            if loop.time() > deadline:
                raise Failed(f"{what}: not within {self.args.wait:.0f} s")
            await asyncio.sleep(self.args.poll)

    async def _switched(self, leg: Switch) -> Switch:
        async def swapped() -> bool:
            detail = await self.client.show_disaster_recovery(leg.disaster_recovery_id)
            primary = detail.primary_cluster.id if detail.primary_cluster else None
            if detail.status is DrStatus.ABNORMAL and primary == leg.from_primary:
                raise Failed(f"{leg.pair}: switchover {leg.id} failed: the DR task is abnormal")
            return detail.status is DrStatus.RUNNING and primary == leg.to_primary

        await self._until(f"{leg.pair}: switchover {leg.id}", swapped)
        return self.journal.mark_switch(leg.id, "switched", self.clock.now())

    async def _answered(self, leg: Switch) -> Switch:
        async def answers() -> bool:
            obs = await self.prober.probe_pair(leg.pair)
            sql = [s.verdict for s in obs.signals if s.source is SignalSource.DATA_PLANE]
            new = obs.production is not None and obs.production.id == leg.to_primary
            up = production_verdict(obs.signals, self.settings.policy_for(leg.pair)) is Verdict.UP
            return new and up and all(v is Verdict.UP for v in sql)

        await self._until(f"{leg.pair}: the new production {leg.to_primary}", answers)
        return self.journal.mark_switch(leg.id, "completed", self.clock.now())

    async def send(self, leg: Switch) -> Switch:
        """A new leg's one POST (unless the pre-failover hook vetoes it), then followed to the new
        production answering, then the post-failover hook (to repoint clients, as after a failover)."""
        veto = await self._hook(leg, pre=True)
        if veto is not None and not veto.allowed:
            self.journal.mark_switch(leg.id, "failed", self.clock.now(), f"vetoed: {veto.summary}")
            raise Refused(f"{leg.pair}: switchover {leg.id} vetoed by the pre-failover hook: {veto.summary}")
        self.journal.mark_switch(leg.id, "sent", self.clock.now())
        try:
            await self.client.switchover(leg.disaster_recovery_id)
        except RejectedError as exc:
            self.journal.mark_switch(leg.id, "failed", self.clock.now(), str(exc))
            raise Failed(f"{leg.pair}: switchover {leg.id} refused by the API: {exc}") from None
        except DwsError as exc:
            raise Failed(f"{leg.pair}: switchover {leg.id} outcome unknown (never resent): {exc}") from None
        leg = await self.resume(self.journal.switch(leg.id))
        await self._hook(leg, pre=False)
        return leg

    async def resume(self, leg: Switch) -> Switch:
        """An open leg to its end: a sent one is followed, never resent."""
        if leg.status == "intended":  # the crash came before the POST: nothing was asked of the API
            self.journal.mark_switch(leg.id, "failed", self.clock.now(), "never sent (interrupted)")
            raise Refused(f"{leg.pair}: switchover {leg.id} was never sent; run the command again")
        if leg.status == "sent":
            leg = await self._switched(leg)
        return await self._answered(leg)


def _fmt(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.1f} s"


def report(leg: Switch) -> str:
    switch, answer = (_fmt(leg.seconds(t)) for t in (leg.switched_at, leg.answered_at))
    return (
        f"{leg.pair}: leg {leg.leg}/{leg.legs} (switch {leg.id}) {leg.status}: {leg.from_primary} -> "
        f"{leg.to_primary}, switched in {switch}, new production answered after {answer}"
    )


def _unfinished(journal: Journal, name: str) -> list[Switch]:
    """The legs of the pair's last switchover or drill while it is unfinished (a leg open, or a drill
    with legs still to run); [] when it finished (or failed) or there is none."""
    rows = journal.switches(name)
    if not rows:
        return []
    last = rows[-1]
    legs = [r for r in rows if r.drill_id is not None and r.drill_id == last.drill_id] or [last]
    finished = last.status == "failed" or (not last.open and len(legs) == last.legs)
    return [] if finished else legs


async def _next_leg(runner: Legs, name: str, by: str, done: list[Switch], planned: int) -> Switch:
    """Check the fleet and the pair now, then journal the next leg and send it."""
    _refuse_fleet(runner.settings, runner.journal, name, runner.clock.now())
    obs = await runner.prober.probe_pair(name)
    roles = _refuse_round(runner.settings, obs)
    drill = done[0].drill_id if done else None
    now = runner.clock.now()
    leg = runner.journal.create_switch(
        name, obs.disaster_recovery_id, roles, by, now, drill_id=drill, leg=len(done) + 1, legs=planned
    )
    leg = await runner.send(leg)
    print(report(leg))
    return leg


async def run(settings: Settings, args: argparse.Namespace, journal: Journal, by: str, legs: int) -> int:
    """A switchover (`legs` 1) or a drill (2 with `--back`), or the rest of an unfinished one."""
    name = args.pair
    async with wiring.build_clients(settings, None, SystemClock()) as clients:
        runner = Legs(settings, clients, journal, args)
        await refuse_lease(settings, name)
        done = _unfinished(journal, name)
        if done and done[-1].open:
            print(f"{name}: resuming switch {done[-1].id} (it is never sent twice)")
            done[-1] = await runner.resume(done[-1])
            print(report(done[-1]))
        planned = done[0].legs if done else legs
        while len(done) < planned:
            done.append(await _next_leg(runner, name, by, done, planned))
    return EXIT_OK
