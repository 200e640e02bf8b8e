"""Prometheus metrics: every metric of the contract, from an explicit registry, nothing hand-rendered.

Cardinality is a cost a fleet pays per pair (thousands of pairs, one exporter), so a pair has a few
series at steady state (pinned by tests/unit/test_metrics_cardinality.py):
- one sample per pair for each gauge, created at start-up (0, or NaN while unknown);
- the decision state set exposes only the current state, at 1 (the others are absent, not 0);
- `failover_blocked{reason}` exists only while that reason holds a confirmed outage (absent otherwise);
- `paused_since_timestamp_seconds` exists only while the pair is paused;
- probe latency is a histogram per probe kind, never per pair; no `_created` series at all.
`/metrics` is rendered at most once per round: `publish()` marks a round's values complete and, once
anything has scraped, renders them at once in a worker thread, so the first scrape after a round is
served bytes already made (at 5,000 pairs a rendering takes a few hundred ms); every later scrape of
the round gets the same bytes. A rendering re-renders only the per-pair families whose values
changed (`PairFamily.rendered`); the bytes equal prometheus-client's `generate_latest`.
Tests pass their own `CollectorRegistry` and read values with `registry.get_sample_value()`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from watchdog import __version__
from watchdog.metrics_evidence import EvidenceMetrics
from watchdog.metrics_pairs import Only, PairFamily, set_reasons
from watchdog.metrics_readiness import ReadinessMetrics

ApiObserver = Callable[[str, str, float], None]
P = "dr_watchdog_"
# The contract's decision state set (label values; must equal watchdog.model.State's values).
DECISION_STATES: tuple[str, ...] = (
    "healthy",
    "suspect",
    "failover_warranted",
    "blocked",
    "failing_over",
    "failed_over",
    "paused",
    "unknown",
    "failover_failed",
)
FAILOVER_RESULTS: tuple[str, ...] = ("submitted", "completed", "failed")
MODES: tuple[str, ...] = ("observe", "recommend", "auto")  # watchdog.model.Mode's values
# failover_blocked reasons besides the guards: what holds a pair whose outage is confirmed (an open
# intent, the latch, a pause, a failed failover) and the modes that do not act.
HOLD_REASONS: tuple[str, ...] = (
    "intent_open",
    "latched",
    "paused",
    "failover_failed",
    "mode_observe",
    "mode_recommend",
)
DEFAULT_PROBES: tuple[str, ...] = ("production_cluster", "dr_task", "dr_cluster")
API_OPERATIONS: tuple[str, ...] = (
    "list_disaster_recover",
    "show_disaster_detail",
    "show_disaster_progress",
    "list_cluster_details",
    "list_clusters",
    "switch_failover_disaster",
    "switchover_disaster_recovery",
    "restore_disaster",
)
SCHEDULER_EVENTS: tuple[str, ...] = ("executed", "error", "missed", "max_instances")
# Probes answer in tens of milliseconds; a DWS control-plane call can take seconds under load.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ROUND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)


class Metrics:
    """The daemon's metrics; one instance per registry (tests make their own)."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        pairs: Sequence[str] = (),
        probes: Sequence[str] = DEFAULT_PROBES,
        version: str = __version__,
        process_collectors: bool = True,
    ) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series: one more per counter and histogram child, unused
        self.registry = registry
        self._exposition: tuple[int, bytes] | None = None  # (generation, bytes) of the last rendering
        self._generation = 0  # publish() count
        self._published = False
        self._scraped = False  # a scrape came: render each published round ahead of the next one
        self._state_lock = threading.Lock()
        self._render_lock = threading.Lock()
        self._renderer: ThreadPoolExecutor | None = None
        self._states: dict[str, str] = {}  # pair -> the state the decision set shows
        self._blocked: dict[str, frozenset[str]] = {}  # pair -> the guards failover_blocked shows
        self._modes: dict[str, str] = {}  # pair -> the mode its one `mode` sample shows
        self._paused: set[str] = set()  # pairs whose paused_since sample exists
        self._probes = tuple(probes)
        if process_collectors:
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
        self._pair_metrics(registry)
        self._process_metrics(registry)
        self.evidence = EvidenceMetrics(registry)
        self.readiness = ReadinessMetrics(registry)
        self.build_info.labels(version=version).set(1)
        self.leader.set(1)  # one instance acts; with HA the election sets it each step and round
        self.coordination_up.set(1)  # no HA backend: nothing to lose
        for pair in pairs:
            self.add_pair(pair)
        for probe in self._probes:
            self.probe_duration.labels(probe=probe)
        for op in API_OPERATIONS:
            self.api_request_duration.labels(operation=op)
        for event in SCHEDULER_EVENTS:
            self.scheduler_events.labels(event=event)

    def _pair_metrics(self, r: CollectorRegistry) -> None:
        pair = ["pair"]
        self.production_up = PairFamily(
            f"{P}production_up", "1 production healthy, 0 down, NaN unknown", pair, registry=r
        )
        self.probe_success = PairFamily(
            f"{P}probe_success", "Last result of each probe (1 ok)", [*pair, "probe"], registry=r
        )
        self.probe_duration = Histogram(
            f"{P}probe_duration_seconds",
            "Latency of each probe kind: a signal's own read or probe, else the probe round's time",
            ["probe"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.last_sync = PairFamily(
            f"{P}last_sync_timestamp_seconds", "Unix time of the last successful DR sync", pair, registry=r
        )
        self.sync_lag = PairFamily(
            f"{P}sync_lag_seconds", "Now minus the last successful DR sync", pair, registry=r
        )
        self.sync_time_implausible = PairFamily(
            f"{P}sync_time_implausible",
            "1 while the last successful DR sync lies later than the observation beyond the allowed skew",
            pair,
            registry=r,
        )
        self.expected_data_loss = PairFamily(
            f"{P}expected_data_loss_seconds",
            "First time production was seen down minus last successful sync, while an outage is open",
            pair,
            registry=r,
        )
        self.consecutive_down = PairFamily(
            f"{P}consecutive_down_rounds", "Consecutive rounds that saw production down", pair, registry=r
        )
        self.decision = PairFamily(
            f"{P}decision", "State set: 1 for the current decision", [*pair, "decision"], registry=r
        )
        self.failover_blocked = PairFamily(
            f"{P}failover_blocked",
            "1 for each reason the watchdog does not fail over a pair whose outage is confirmed "
            "(a guard, an open intent, the latch, a pause, a failed failover, the mode)",
            [*pair, "reason"],
            registry=r,
        )
        self.failovers = PairFamily(
            f"{P}failovers", "Failovers by result", [*pair, "result"], registry=r, counter=True
        )
        self.failover_throttled = Counter(  # no pair label: the log line names the pair
            f"{P}failover_throttled",
            "Failover POSTs refused as throttled (429), retried after a backoff",
            registry=r,
        )
        self.max_data_loss = PairFamily(
            f"{P}max_data_loss_seconds",
            "The pair's RPO guard limit (policy.max_data_loss_seconds, with its per-pair override)",
            pair,
            registry=r,
        )
        self.paused = PairFamily(
            f"{P}paused", "1 while automatic action is paused on the pair", pair, registry=r
        )
        self.paused_since = PairFamily(
            f"{P}paused_since_timestamp_seconds",
            "Unix time the pause holding the pair began (NaN while not paused)",
            pair,
            registry=r,
        )
        self.latched = PairFamily(
            f"{P}latched", "1 after a failover until an operator acks it", pair, registry=r
        )
        self.mode = PairFamily(
            f"{P}mode",
            "Always 1, one sample per pair: the mode label is the pair's policy mode (alerts filter on it)",
            [*pair, "mode"],
            registry=r,
        )
        self.dr_replication_broken = PairFamily(
            f"{P}dr_replication_broken",
            "1 while production is up but the DR task is abnormal on its side: the pair has no working DR",
            pair,
            registry=r,
        )

    def _process_metrics(self, r: CollectorRegistry) -> None:
        self.build_info = Gauge(
            f"{P}build_info", "Always 1; the version label says which build", ["version"], registry=r
        )
        self.leader = Gauge(f"{P}leader", "1 on the instance allowed to act", registry=r)
        self.coordination_up = Gauge(
            f"{P}coordination_up",
            "1 while the HA backend (etcd) answered the last election step; 0: nobody may trust a lease",
            registry=r,
        )
        self.brake_engaged = Gauge(
            f"{P}brake_engaged",
            "1 while the global brake blocks every automatic failover (until `dr-watchdog brake reset`)",
            registry=r,
        )
        self.brake_failovers = Gauge(
            f"{P}brake_failovers",
            "Automatic failovers (all pairs) counted by the global brake in its window since the last reset",
            registry=r,
        )
        self.api_requests = Counter(
            f"{P}api_requests",
            "Calls to the cloud API by operation and HTTP code",
            ["operation", "code"],
            registry=r,
        )
        self.api_request_duration = Histogram(
            f"{P}api_request_duration_seconds",
            "Cloud API call latency",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rounds = Counter(f"{P}rounds", "Probe rounds run", registry=r)
        self.round_errors = Counter(f"{P}round_errors", "Rounds that raised an unexpected error", registry=r)
        self.round_overruns = Counter(
            f"{P}round_overruns", "Rounds that took longer than the interval", registry=r
        )
        self.rounds_late = Counter(
            f"{P}rounds_late",
            "Rounds that started more than an interval later than scheduled (frozen or starved): discarded",
            registry=r,
        )
        self.round_duration = Histogram(
            f"{P}round_duration_seconds", "Wall time of one round", buckets=ROUND_BUCKETS, registry=r
        )
        self.last_round = Gauge(
            f"{P}last_round_timestamp_seconds", "Unix time the last round ended", registry=r
        )
        self.scheduler_events = Counter(
            f"{P}scheduler_events",
            "Scheduler job events (missed, max_instances = skipped)",
            ["event"],
            registry=r,
        )
        self.ready = Gauge(f"{P}ready", "1 once the first round is done", registry=r)
        self.journal_errors = Counter(
            f"{P}journal_errors",
            "Rounds whose journal write failed (disk full, I/O error, locked): nothing recorded, no action",
            registry=r,
        )
        self.journal_size = Gauge(
            f"{P}journal_size_bytes", "Size of the SQLite journal on disk, its WAL included", registry=r
        )
        self.notifications = Counter(
            f"{P}notifications",
            "Notification deliveries by channel and outcome",
            ["sink", "outcome"],
            registry=r,
        )

    def add_pair(self, pair: str) -> None:
        """Create every per-pair series at its neutral value, so it exists before the first round."""
        self.production_up.labels(pair=pair).set(math.nan)
        for probe in self._probes:
            self.probe_success.labels(pair=pair, probe=probe).set(0)
        self.last_sync.labels(pair=pair).set(math.nan)
        self.sync_lag.labels(pair=pair).set(math.nan)
        self.sync_time_implausible.labels(pair=pair).set(0)
        self.expected_data_loss.labels(pair=pair).set(math.nan)
        self.max_data_loss.labels(pair=pair).set(math.nan)
        self.consecutive_down.labels(pair=pair).set(0)
        self.set_decision(pair, "unknown")
        self.set_blocked(pair, ())
        for result in FAILOVER_RESULTS:
            self.failovers.labels(pair=pair, result=result)
        self.paused.labels(pair=pair).set(0)
        self.latched.labels(pair=pair).set(0)
        self.dr_replication_broken.labels(pair=pair).set(0)
        self.evidence.add_pair(pair)
        self.readiness.add_pair(pair)

    def set_decision(self, pair: str, state: str) -> None:
        """Set the decision state set: `state` at 1, the pair's previous state's sample removed."""
        if state not in DECISION_STATES:
            raise ValueError(f"unknown decision state {state!r}")
        old = self._states.get(pair)
        if old == state:  # most rounds repeat the last: no label lookup at all
            return
        if old is not None:
            self.decision.remove(pair, old)
        self.decision.labels(pair=pair, decision=state).set(1)
        self._states[pair] = state

    def set_blocked(self, pair: str, reasons: Iterable[str]) -> None:
        """`failover_blocked` 1 for each reason now keeping a confirmed outage from a failover; the
        series of a reason that no longer holds is removed (absent, not 0)."""
        active = frozenset(reasons)
        before = self._blocked.get(pair, frozenset())
        if before == active:  # unchanged (nearly always): no label lookups at all
            return
        set_reasons(self.failover_blocked, pair, before, active)
        self._blocked[pair] = active

    def set_paused_since(self, pair: str, since: float | None) -> None:
        """The start of the pause holding the pair; the series exists only while it is paused."""
        if since is not None and since == since:  # NaN: a pause without a known start
            self.paused_since.labels(pair=pair).set(since)
            self._paused.add(pair)
        elif pair in self._paused:
            self.paused_since.remove(pair)
            self._paused.discard(pair)

    def set_mode(self, pair: str, mode: str) -> None:
        """The pair's one `mode` sample: `mode` at 1 (a changed mode replaces the old sample)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        old = self._modes.get(pair)
        if old == mode:
            return
        if old is not None:
            self.mode.remove(pair, old)
        self.mode.labels(pair=pair, mode=mode).set(1)
        self._modes[pair] = mode

    def set_production(self, pair: str, up: bool | None) -> None:
        """1 up, 0 down, NaN unknown: never 0 because the watchdog could not see."""
        self.production_up.labels(pair=pair).set(math.nan if up is None else float(up))

    def observe_api(self, operation: str, code: str, seconds: float) -> None:
        """The DWS client's observer: one call per HTTP attempt."""
        self.api_requests.labels(operation=operation, code=code).inc()
        self.api_request_duration.labels(operation=operation).observe(seconds)

    @property
    def api_observer(self) -> ApiObserver:
        """`observer(operation, code, seconds)` to hand to `DwsClient(observer=...)`."""
        return self.observe_api

    def notification(self, sink: str, outcome: str) -> None:
        """The notifier's observer: one delivery outcome (sent, retried, failed, dropped) of one channel."""
        self.notifications.labels(sink=sink, outcome=str(outcome)).inc()

    def scheduler_event(self, event: str) -> None:
        """Count one scheduler event (executed, error, missed, max_instances)."""
        self.scheduler_events.labels(event=event).inc()

    def render(self) -> bytes:
        """The registry in the Prometheus text format (0.0.4; this promtool misreads OpenMetrics): the
        bytes of `generate_latest(registry)`, made collector by collector in the registry's order, a
        per-pair family from its own rendering while its values stay the same."""
        collectors = _collectors(self.registry)
        if collectors is None:
            return generate_latest(self.registry)
        parts = []
        for collector in collectors:
            if isinstance(collector, PairFamily):
                parts.append(collector.rendered())
            else:
                parts.append(generate_latest(Only(collector)))
        return b"".join(parts)

    def publish(self) -> None:
        """A round's (or a failover step's) values are complete: rendered now in a worker thread (once
        anything has scraped), else by the next scrape. Never waits for a rendering."""
        with self._state_lock:
            self._generation += 1
            self._published = True
            if not self._scraped:
                return
            if self._renderer is None:
                self._renderer = ThreadPoolExecutor(1, thread_name_prefix="drw-render")
            renderer = self._renderer
        renderer.submit(self.exposition)

    def exposition(self) -> bytes:
        """What /metrics serves: the rendering of the last published values, made right after
        `publish()` (or by the first scrape after it) and served to every later scrape until the next;
        before the first `publish()` (start-up), a fresh rendering each time. Thread-safe (scrapes come
        from server threads; a scrape during the worker's rendering waits for those bytes)."""
        with self._state_lock:
            self._scraped = True
            published, done = self._published, self._exposition
            generation = self._generation
        if not published:
            return self.render()
        if done is not None and done[0] == generation:
            return done[1]
        with self._render_lock:  # one rendering at a time: a second scraper waits for the first's bytes
            with self._state_lock:
                done, generation = self._exposition, self._generation
            if done is not None and done[0] == generation:
                return done[1]
            text = self.render()
            with self._state_lock:
                if self._exposition is None or self._exposition[0] < generation:
                    self._exposition = (generation, text)
            return text


def _collectors(registry: CollectorRegistry) -> list[object] | None:
    """The registry's collectors in the order its `collect()` yields them; None where that cannot be
    read collector by collector (a registry with target info)."""
    with registry._lock:
        if registry._target_info:
            return None
        return list(registry._collector_to_names)


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
