"""One round for every pair, split into named steps: observe -> decide -> record -> act.

`observe` is one probe round (per project, through the list endpoints: `watchdog.probes`); a round
that starts more than an interval later than its schedule (the monotonic clock against the previous
round's start and end: the process was frozen) marks every observation late, so the policy discards
it (`round_late`). `decide` is the pure policy on an immutable snapshot, the pair state re-read from
the journal (so a `pause` or `ack` given by the CLI beside the running daemon counts from the next
round) and the time of the decision itself (so an observation that aged meanwhile is stale); `record`
writes every pair's decision, its inputs and the next state (the latch, for a FAILOVER) to the
journal in one transaction per round, then reports them as metrics and log records, before anything
is done about them; `act` hands a FAILOVER
decision to the executor in a task of its own, so tracking a failover for minutes never delays the
rounds of the other pairs. (The style guide says observe -> decide -> act -> record; recording first
means a journal that cannot be written stops the action instead of leaving it unaudited.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from watchdog import report
from watchdog.brake import brake_after, recent
from watchdog.clients import placement_errors
from watchdog.clock import Clock
from watchdog.dws.client import DwsClient
from watchdog.endpoints import DEFAULT_ENDPOINT
from watchdog.ha.authority import Authority, SoleAuthority
from watchdog.ha.coordination import Coordination
from watchdog.ha.takeover import Takeover
from watchdog.hooks import HookRunner
from watchdog.journal import EncodedRound, Journal, RoundRecord
from watchdog.metrics import Metrics
from watchdog.model import (
    Action,
    Brake,
    Decision,
    FailoverIntent,
    Observation,
    PairState,
    Policy,
    Signal,
    SignalSource,
    Verdict,
)
from watchdog.notify import Notifier
from watchdog.policy import Evaluation, evaluate
from watchdog.round_group import RoundGroup
from watchdog.settings import ConfigError, Settings
from watchdog.wiring import build_clients, build_executor, build_prober

log = logging.getLogger("watchdog.round")


def unseen(pair: str, dr_id: str, now: datetime, why: str) -> Observation:
    """The observation of a pair the probe round could not produce: every signal UNKNOWN."""
    signal = Signal(SignalSource.PRODUCTION_CLUSTER, Verdict.UNKNOWN, why, now, error=why)
    return Observation(pair=pair, disaster_recovery_id=dr_id, observed_at=now, signals=(signal,))


@dataclass(frozen=True)
class Decided:
    """One pair's decided round, encoded for the round's single journal transaction."""

    obs: Observation
    evaluation: Evaluation
    encoded: EncodedRound


@dataclass
class RoundResult:
    """What one round produced (for the demo and the tests)."""

    decisions: dict[str, Decision]
    seconds: float


class Runtime:
    """Everything the rounds need, opened once and closed once."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        metrics: Metrics,
        journal: Journal,
        authority: Authority | None = None,
        coordination: Coordination | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.journal = journal
        self.clients = build_clients(settings, metrics, clock)
        self.prober = build_prober(settings, self.clients, clock)
        self.evidence = self.prober.evidence  # its never-proven probes go to a metric each round
        self.hooks = HookRunner(settings.hooks, clock=clock)
        self.notifier = Notifier(settings.notifications, clock=clock, observer=metrics.notification)
        self.authority = authority or SoleAuthority()
        self.coordination = coordination  # the HA group's shared state, read each round
        self.executor = build_executor(
            settings, journal, self.clients, clock, metrics, self.hooks, self.authority, coordination
        )
        takeover = Takeover(coordination, journal, self.executor, self._spawn) if coordination else None
        self.group = RoundGroup(coordination, takeover, metrics, [p.name for p in settings.pairs])
        self._policies: dict[str, Policy] = {}
        for pair in settings.pairs:
            dp = pair.data_plane
            metrics.evidence.add_pair(
                pair.name, data_plane=dp is not None, heartbeat=bool(dp and dp.heartbeat_table)
            )
            metrics.max_data_loss.labels(pair=pair.name).set(self.policy_for(pair.name).max_data_loss_seconds)
            metrics.set_mode(pair.name, self.policy_for(pair.name).mode.value)
        self._acting: dict[str, asyncio.Task[None]] = {}
        self._reconciling: asyncio.Task[None] | None = None
        self._pruned_at: float | None = None
        self._began: float | None = None  # the previous round's start and end (clock.monotonic)
        self._ended: float | None = None
        self._late_by = 0.0  # how late this round started against its schedule (0: on time)
        self._brake_was_tripped = False  # the brake was engaged in the journal before this round
        self._leader = True  # the leadership as this round began (set by _round)
        self._quiet = False  # an HA follower that can see the group: the leader notifies, not it

    @property
    def client(self) -> DwsClient:
        """The `cloud` block's client (the one endpoint of a single-endpoint configuration)."""
        return self.clients.endpoint(DEFAULT_ENDPOINT)

    async def check_placement(self) -> None:
        """Start-up: ConfigError (exit 2, one line per pair) when a DR task's regions and projects
        are not its pair's endpoints' (`watchdog.clients.placement_errors`)."""
        pairs = [(p.name, p.disaster_recovery_id) for p in self.settings.pairs]
        lines = await placement_errors(self.clients, pairs)
        if lines:
            raise ConfigError("\n".join(lines))

    def start(self) -> None:
        """Start reconciling open intents (before the first round decides anything) and the notifier.

        Reconciliation may track a failover for minutes, so it runs as a task: until it ends, the
        policy sees the open intent (FAILING_OVER, action TRACK) and starts nothing new for that pair.
        """
        self.notifier.start()
        self._reconciling = asyncio.create_task(self._reconcile(), name="drw-reconcile")

    async def _reconcile(self) -> None:
        try:
            settled = await self.executor.reconcile()
        except Exception:
            log.exception("reconciliation failed; open intents are retried by the rounds")
            return
        for intent in settled:
            log.info("reconciled failover intent", extra={"pair": intent.pair, "status": intent.status.value})

    async def round(self) -> RoundResult:
        """observe -> decide (each pair) -> record (all pairs, one transaction) -> report -> act.

        One pair's failure to decide or to report never stops the others. The decisions and the
        latches of the whole round are journaled in ONE transaction (one fsync per round, not per
        pair: at 5,000 pairs the difference is seconds) before anything acts; if that write fails,
        no pair acts this round, and the next round decides again from the journal as it stands.
        """
        began, late = time.monotonic(), self._lateness()
        try:
            return await self._round(began, late)
        finally:
            self._ended = self.clock.monotonic()

    def _lateness(self) -> float | None:
        """Seconds this round starts later than its schedule allows, if more than one interval.

        Due: one interval after the previous round began, or when it ended if it overran (the
        scheduler then runs the next tick). Later than that by more than an interval, the process was
        frozen (SIGSTOP, a VM pause) or starved: what it observes now is not what a watchdog running
        on schedule would have seen, and the time in between must not count as outage.
        """
        start, began, ended = self.clock.monotonic(), self._began, self._ended
        self._began = start
        if began is None or ended is None:
            return None
        interval = self.settings.policy.probe_interval_seconds
        late = start - max(began + interval, ended)
        self._late_by = max(0.0, late)
        return late if late > interval else None

    async def _round(self, began: float, late: float | None) -> RoundResult:
        self._take_leadership()
        read = await self.group.read(self._leader)
        self._leader = self._leader and read
        self._quiet = self.group.quiet(self._leader, read, self.authority.reachable())
        now = self.clock.now()
        observations = await self.observe(now)
        probe_seconds = time.monotonic() - began
        observed = self._observed(observations, now)
        if late is not None:  # every pair's round counts as UNKNOWN (round_late): evidence discarded
            self.metrics.rounds_late.inc()
            log.warning(
                "round started late: its evidence is discarded", extra={"late_seconds": round(late, 3)}
            )
            observed = [replace(obs, late_seconds=late) for obs in observed]
        report.probe_durations(self.metrics, observed, probe_seconds)
        decided, brake = self._decide_all(observed, now)
        try:
            self.journal.record_many([d.encoded for d in decided])
        except Exception:
            self._journal_failed(decided)
            return RoundResult({}, time.monotonic() - began)
        finally:
            self._journal_size()
        self._isolated("*", "record the brake", self._record_brake, brake)
        await self.group.share_brake(brake, self._leader)
        self._isolated("*", "release orphan latches", self.executor.release_orphans)
        for d in decided:
            self._isolated(d.obs.pair, "report", self.report, d.obs, d.evaluation, brake)
        self._isolated("*", "report the round", self._report_round, decided)
        for d in decided:
            self._isolated(d.obs.pair, "act", self.act, d.evaluation.decision, d.obs)
        self._prune()
        return RoundResult({d.obs.pair: d.evaluation.decision for d in decided}, time.monotonic() - began)

    def _take_leadership(self) -> None:
        """The leadership for this round; a new leader reconciles its open intents before it acts
        (the policy holds a pair with an open intent meanwhile: TRACK, nothing new)."""
        was, self._leader = self._leader, self.authority.holds()
        self.metrics.leader.set(1 if self._leader else 0)
        if self._leader and not was and (self._reconciling is None or self._reconciling.done()):
            log.warning("leadership taken: reconciling open intents before acting")
            self._reconciling = asyncio.create_task(self._reconcile(), name="drw-reconcile")

    def _decide_all(self, observed: list[Observation], now: datetime) -> tuple[list[Decided], Brake]:
        """Each pair in configuration order, the global brake folded through them (`brake_after`): a
        pair sees the automatic failovers decided before it in this round, so the limit holds inside
        one round. The brake is read from the journal once, before the first pair."""
        ha = self.settings.ha
        brake = start = self.group.brake(
            ha.max_automatic_failovers,
            ha.brake_window_seconds,
            lambda: self.journal.brake(ha.max_automatic_failovers, ha.brake_window_seconds, now),
        )
        states = self._load_states(observed)
        decided: list[Decided] = []
        for obs in observed:
            d = self._decide_pair(obs, states.get(obs.pair), brake)
            if d is not None:
                decided.append(d)
                brake = brake_after(brake, d.evaluation.decision) or brake
        self._brake_was_tripped = start.tripped_at is not None
        return decided, brake

    def _record_brake(self, brake: Brake) -> None:
        """Engage the brake in the journal the round it first blocked a failover (after the round's
        own record: its decisions are the trip's audit); then its metrics."""
        if brake.tripped_at is not None and not self._brake_was_tripped:
            note = f"{recent(brake, brake.tripped_at)} automatic failovers in {brake.window_seconds:g} s"
            if self.journal.trip_brake(brake.tripped_at, note):
                log.error(f"global brake engaged: {note}; `dr-watchdog brake reset` re-enables failovers")
        self.metrics.brake_engaged.set(1 if brake.tripped_at is not None else 0)
        self.metrics.brake_failovers.set(recent(brake, self.clock.now()))

    def _report_round(self, decided: list[Decided]) -> None:
        unproven = self.evidence.unproven() if self.evidence is not None else {}
        report.round_metrics(self.metrics, [d.evaluation.decision for d in decided], unproven, self._late_by)

    def _journal_failed(self, decided: list[Decided]) -> None:
        """Nothing is recorded, so nothing acts; what was seen still reaches /metrics, so production
        down still alerts a human while the journal (a full disk, say) cannot be written."""
        self.metrics.round_errors.inc()
        self.metrics.journal_errors.inc()
        log.exception("journal write failed: nothing of this round is recorded and no pair acts")
        for d in decided:
            self._isolated(d.obs.pair, "report", self._report_seen, d.obs, d.evaluation)

    def _report_seen(self, obs: Observation, evaluation: Evaluation) -> None:
        report.observation_metrics(self.metrics, obs)
        report.production_metric(self.metrics, evaluation.decision)

    def _journal_size(self) -> None:
        path = self.settings.state.path
        total = 0
        for part in (path, path.with_name(path.name + "-wal")):
            with contextlib.suppress(OSError):
                total += part.stat().st_size
        self.metrics.journal_size.set(total)

    def _observed(self, observations: Mapping[str, Observation], now: datetime) -> list[Observation]:
        """Every configured pair's observation; a pair the probe round left out is UNKNOWN."""
        return [
            observations.get(p.name) or unseen(p.name, p.disaster_recovery_id, now, "not probed")
            for p in self.settings.pairs
        ]

    def _load_states(self, observed: list[Observation]) -> Mapping[str, PairState]:
        """Every pair's state in one read of the journal (four queries, not four per pair); if that
        read fails, none: each pair then reads its own, and fails alone."""
        try:
            return self.journal.load_states([o.pair for o in observed], self.clock.now())
        except Exception:
            log.exception("reading the round's pair states failed; each pair reads its own")
            return {}

    def _decide_pair(
        self, obs: Observation, state: PairState | None = None, brake: Brake | None = None
    ) -> Decided | None:
        """decide and encode one pair's round record; None (logged, counted) if that pair failed."""
        try:
            state, evaluation = self.decide(obs, self.clock.now(), state, brake)
            record = RoundRecord(obs, evaluation.decision, evaluation.next_state, state)
            return Decided(obs, evaluation, self.journal.prepare_round(record))
        except Exception:
            self.metrics.round_errors.inc()
            log.exception("pair failed this round; the other pairs go on", extra={"pair": obs.pair})
            return None

    def _isolated(self, pair: str, step: str, work: Callable[..., None], *args: Any) -> None:
        """Run one pair's step; its failure is logged and counted, the other pairs go on."""
        try:
            work(*args)
        except Exception:
            self.metrics.round_errors.inc()
            log.exception(f"pair failed to {step} this round; the other pairs go on", extra={"pair": pair})

    async def observe(self, now: datetime) -> Mapping[str, Observation]:
        """One probe round; a failure of the whole round makes every pair UNKNOWN, never DOWN."""
        try:
            return await self.prober.probe_round(now)
        except Exception as exc:
            log.exception("probe round failed: every pair is unknown this round")
            why = f"probe round failed: {type(exc).__name__}"
            return {p.name: unseen(p.name, p.disaster_recovery_id, now, why) for p in self.settings.pairs}

    def decide(
        self, obs: Observation, now: datetime, state: PairState | None = None, brake: Brake | None = None
    ) -> tuple[PairState, Evaluation]:
        """The pure policy on the snapshot, the pair state as the journal holds it now (`state`: as the
        round's batch read found it, at the start of this round's decisions) and the brake."""
        if state is None:
            state = self.journal.load_state(obs.pair, now)
        state = self.group.merge(state, obs.pair, now)
        return state, evaluate(obs, state, self.policy_for(obs.pair), now, brake, self._leader)

    def policy_for(self, pair: str) -> Policy:
        """The pair's merged policy, computed once: the settings do not change while the daemon runs,
        and `Settings.policy_for` looks the pair up by a scan (O(pairs) per pair, seconds per round
        at 5,000 pairs)."""
        policy = self._policies.get(pair)
        if policy is None:
            policy = self._policies[pair] = self.settings.policy_for(pair)
        return policy

    def act(self, decision: Decision, obs: Observation) -> None:
        """FAILOVER: run the executor in its own task. TRACK with nobody following: follow the intent."""
        running = self._acting.get(decision.pair)
        if running is not None and not running.done():
            if (
                decision.action is Action.FAILOVER
            ):  # the policy's intent precedence should make this impossible
                log.error(
                    "FAILOVER decided while a failover task still runs; not started",
                    extra={"pair": decision.pair},
                )
            return
        if decision.action is Action.FAILOVER:
            self._spawn(decision.pair, self.executor.execute(decision, obs))
        elif decision.action is Action.TRACK and self._reconciling is not None and self._reconciling.done():
            intent = self.journal.open_intent(decision.pair)
            if intent is not None:
                self._spawn(decision.pair, self.executor.follow(intent))

    def _spawn(self, pair: str, work: Coroutine[Any, Any, FailoverIntent]) -> None:
        async def guarded() -> None:
            try:
                intent = await work
                log.info("failover intent ended", extra={"pair": pair, "status": intent.status.value})
            except Exception:
                log.exception(
                    "failover execution failed; the journal holds the last step", extra={"pair": pair}
                )

        self._acting[pair] = asyncio.create_task(guarded(), name=f"drw-failover-{pair}")

    def report(self, obs: Observation, evaluation: Evaluation, brake: Brake | None = None) -> None:
        """A recorded decision as metrics, one log line and notifications."""
        report.observation_metrics(self.metrics, obs)
        report.decision_metrics(self.metrics, evaluation.decision)
        report.readiness_metrics(self.metrics, obs, evaluation, brake)
        latched = evaluation.next_state.latched  # after a failover: watch the old production
        report.old_primary_metric(
            self.metrics, obs, self.journal.latest_intent(obs.pair) if latched else None
        )
        report.log_decision(evaluation.decision)
        self.notifier.on_decision(evaluation.decision, quiet=self._quiet)

    def _prune(self) -> None:
        """Retention, at most once an hour: decisions and observations older than state.retention_days."""
        if self._pruned_at is not None and time.monotonic() - self._pruned_at < 3600:
            return
        self._pruned_at = time.monotonic()
        cut = self.clock.now() - timedelta(days=self.settings.state.retention_days)
        gone = self.journal.prune(cut)
        if gone:
            log.info("journal retention", extra={"deleted_rows": gone, "before": cut.isoformat()})

    async def finish_actions(self, grace: float) -> None:
        """On stop: give in-flight failovers `grace` seconds to end, then cancel their tracking.

        Cancelling is safe: every step is journaled before the next begins, and the next start
        reconciles a submitted intent by reading the DR task, never by POSTing again.
        """
        pending = [t for t in [*self._acting.values(), self._reconciling] if t is not None and not t.done()]
        if not pending:
            return
        log.info("waiting for in-flight failovers", extra={"count": len(pending), "grace_seconds": grace})
        _, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)

    async def close(self) -> None:
        await self.group.aclose()
        await self.notifier.aclose(grace_seconds=2.0)
        await self.clients.aclose()
        self.journal.close()
