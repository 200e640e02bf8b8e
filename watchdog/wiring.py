"""The daemon's parts built from the settings: the DWS client and the executor with its hooks and
failover counters. The daemon's rounds, the `probe` and `failover` commands and the demo all build
them here, so a manual failover is executed, journaled and hooked exactly as an automatic one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from watchdog.clients import CloudClients
from watchdog.clock import Clock
from watchdog.dws.client import DwsClient, RetryPolicy
from watchdog.dws.signing import Credentials, TokenCredentials
from watchdog.endpoints import DEFAULT_ENDPOINT
from watchdog.evidence.gather import EvidenceProber
from watchdog.failover import Executor, ExecutorTiming, Step
from watchdog.ha.authority import Authority, SoleAuthority
from watchdog.ha.coordination import Coordination
from watchdog.hooks import HookContext, HookRunner
from watchdog.journal import Journal, JournalError
from watchdog.metrics import Metrics
from watchdog.model import FailoverIntent, IntentStatus
from watchdog.probes import PairRef, Prober
from watchdog.settings import Settings

log = logging.getLogger("watchdog.round")


def credentials(settings: Settings, endpoint: str = DEFAULT_ENDPOINT) -> Credentials | TokenCredentials:
    """AK/SK (with the security token of temporary credentials) or an IAM token: the endpoint's own,
    else the `cloud` block's."""
    own = settings.endpoints.get(endpoint)
    cloud = own if own is not None and own.own_credentials() else settings.cloud
    if cloud.token is not None:
        return TokenCredentials(cloud.token.get_secret_value())
    assert cloud.access_key is not None and cloud.secret_key is not None  # settings validated it
    token = cloud.security_token.get_secret_value() if cloud.security_token else None
    return Credentials(cloud.access_key.get_secret_value(), cloud.secret_key.get_secret_value(), token)


def build_client(
    settings: Settings, metrics: Metrics | None, clock: Clock, endpoint: str = DEFAULT_ENDPOINT
) -> DwsClient:
    """The client (one connection pool) of one configured endpoint and its project.

    Read retries must end inside a round: their deadline is 80 % of the probe interval.
    """
    cloud = settings.cloud
    resolved = settings.endpoint_map()[endpoint]
    verify: bool | str = str(cloud.ca_bundle) if cloud.verify_tls and cloud.ca_bundle else cloud.verify_tls
    deadline = max(cloud.timeout_seconds, settings.policy.probe_interval_seconds * 0.8)
    return DwsClient(
        resolved.url,
        resolved.project_id,
        credentials(settings, endpoint),
        verify=verify,
        timeout=cloud.timeout_seconds,
        retry=RetryPolicy(deadline=deadline),
        clock=clock,
        observer=metrics.api_observer if metrics is not None else None,
    )


def build_clients(settings: Settings, metrics: Metrics | None, clock: Clock) -> CloudClients:
    """One client per endpoint some pair uses (the `cloud` block's always), and each pair's sides."""
    sides = {p.name: settings.sides(p.name) for p in settings.pairs}
    used = {DEFAULT_ENDPOINT} | {s.production for s in sides.values()} | {s.dr for s in sides.values()}
    names = [name for name in settings.endpoint_map() if name in used]
    clients = {name: build_client(settings, metrics, clock, name) for name in names}
    return CloudClients(clients, sides, settings.endpoint_map())


def build_evidence(settings: Settings) -> EvidenceProber | None:
    """The evidence step of the probe rounds (data planes, heartbeats, canaries); None if none is set."""
    planes = {p.name: p.data_plane for p in settings.pairs if p.data_plane is not None}
    evidence = settings.evidence
    if not planes and not evidence.canaries:
        return None
    return EvidenceProber(planes, deadline=evidence.deadline_seconds, canaries=evidence.canaries)


def build_prober(
    settings: Settings, clients: CloudClients, clock: Clock, timeout: float | None = None
) -> Prober:
    """The probe rounds' prober: the control-plane reads of every endpoint in use, then the evidence.

    A pair's DR task and DR cluster are read through its DR side's endpoint, its production cluster
    through the endpoint hosting it. Default timeout of the control-plane reads: 90 % of the probe
    interval less the evidence step's budget (at least half the interval, or one API request's
    timeout), so a round with data-plane probes still ends within the interval.
    """
    evidence = build_evidence(settings)
    if timeout is None:
        interval = settings.policy.probe_interval_seconds
        budget = evidence.budget if evidence is not None else 0.0
        floor = min(interval * 0.9, max(interval * 0.5, settings.cloud.timeout_seconds))
        timeout = max(interval * 0.9 - budget, floor)
    pairs = []
    for p in settings.pairs:
        sides = clients.sides[p.name]
        pairs.append(
            PairRef(p.name, sides.dr, p.disaster_recovery_id, sides.production if sides.cross else None)
        )
    return Prober(
        clients.clients, pairs, timeout=timeout, clock=clock, evidence=evidence, on_host=clients.learn
    )


def build_executor(
    settings: Settings,
    journal: Journal,
    clients: CloudClients | Callable[[str], DwsClient],
    clock: Clock,
    metrics: Metrics | None,
    hooks: HookRunner,
    authority: Authority | None = None,
    coordination: Coordination | None = None,
) -> Executor:
    """The executor with the configured timing, the hooks and the failover counters wired in; with
    CloudClients it acts through each pair's `act_via` side and reads each cluster through its host.

    Every hook run is journaled (`Journal.record_hook_run`) against its intent: the daemon and the
    manual `dr-watchdog failover` both build their executor here, so both leave the record.
    """
    f = settings.failover
    timing = ExecutorTiming(
        poll_interval_seconds=f.poll_interval_seconds,
        track_timeout_seconds=f.track_timeout_seconds,
        settle_seconds=f.settle_seconds,
        unknown_grace_seconds=f.unknown_grace_seconds,
        stale_unsent_seconds=f.stale_unsent_seconds,
    )

    async def veto(intent: FailoverIntent) -> str | None:
        result = await hooks.pre_failover(hook_context(intent))
        if result is None:
            return None
        log.info("pre-failover hook", extra={"pair": intent.pair, "hook": result.as_record()})
        # before the POST, like the intent: a run that cannot be journaled raises, and the
        # executor treats a failing veto check as a veto (no failover without its audit record)
        journal.record_hook_run(intent.pair, intent.id, result)
        return None if result.allowed else result.summary

    async def after(intent: FailoverIntent) -> None:
        result = await hooks.post_failover(hook_context(intent))
        if result is None:
            return
        log.info("post-failover hook", extra={"pair": intent.pair, "hook": result.as_record()})
        try:
            journal.record_hook_run(intent.pair, intent.id, result)
        except JournalError:  # the failover stands; the log line above keeps the result
            log.exception("post-failover hook run not journaled", extra={"pair": intent.pair})

    counted: set[tuple[int, str]] = set()  # (intent id, result): each counted once by this process

    def on_step(step: Step, intent: FailoverIntent) -> None:
        if metrics is not None:
            count_step(metrics, step, intent, counted)

    if isinstance(clients, CloudClients):
        client_for: Callable[[str], DwsClient] = clients.acting
        cluster_for: Callable[[str, str, str], DwsClient] | None = clients.for_cluster
    else:
        client_for, cluster_for = clients, None
    authority = authority or SoleAuthority()
    return Executor(
        journal,
        client_for,
        clock,
        authority.holds,
        timing=timing,
        before_submit=veto,
        after_complete=after,
        on_step=on_step,
        cluster_client_for=cluster_for,
        leader_term=authority.term,
        coordination=coordination,
    )


def hook_context(intent: FailoverIntent) -> HookContext:
    """The failover's facts for a hook's DRW_* environment."""
    return HookContext(
        pair=intent.pair,
        disaster_recovery_id=intent.disaster_recovery_id,
        old_primary_cluster_id=intent.old_primary_id,
        new_primary_cluster_id=intent.old_standby_id,
        expected_data_loss_seconds=intent.expected_data_loss_seconds,
        intent_id=intent.id,
        first_down_at=intent.first_down_at,
        manual=intent.manual,
        forced=intent.forced,
        outcome=intent.status.value if intent.status.final else None,
    )


def count_step(
    metrics: Metrics, step: Step, intent: FailoverIntent, counted: set[tuple[int, str]] | None = None
) -> None:
    """dr_watchdog_failovers_total{result}: submitted once journaled so; completed / failed at the end.

    With `counted` (the executor's memory of what it counted), each intent counts at most once per
    result, whoever started it: the daemon following a CLI's failover to its end counts its
    submission and its outcome once, even when the CLI journaled them first.
    """
    if step is Step.THROTTLED:  # not a failed failover: retried after a backoff
        metrics.failover_throttled.inc()
        return
    if step is Step.SUBMITTED:
        results = ["submitted"]
    elif step is Step.FINISHED and intent.status in (IntentStatus.COMPLETED, IntentStatus.FAILED):
        results = ["submitted"] if intent.submitted_at is not None and counted is not None else []
        results.append(intent.status.value)
    else:
        return
    for result in results:
        if counted is not None:
            if (intent.id, result) in counted:
                continue
            counted.add((intent.id, result))
        metrics.failovers.labels(pair=intent.pair, result=result).inc()
        log.warning(
            f"{intent.pair}: failover {result}",
            extra={"pair": intent.pair, "intent": intent.id, "detail": intent.detail},
        )
    metrics.publish()  # a failover's progress need not wait for the round's end to be scraped
