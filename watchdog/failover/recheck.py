"""The re-read right before the POST of an automatic failover (issue 9: a stale snapshot must not act).

The decision may rest on an observation minutes old (a slow veto hook, a process frozen and woken).
Right before the POST the DR task and production's cluster are read again; the failover goes ahead
only if production is still DOWN, judged as the probes judge it (`watchdog.probes.read` and
`cluster_signal`, so only DWS's own not-found code counts as "deleted"), and the roles are unchanged
(the DR task's primary is still the intent's old primary, no switch in progress). Anything else,
including a read that fails, aborts: the pair stays armed and the next rounds decide again.

A cross-region pair's production cluster is read through production's own endpoint. In a region
outage that endpoint does not answer: then the re-check asks what the region-outage row of the
signal matrix asked of the control plane, that the endpoint is still unreachable and the DR task
(read through the acting side) still reports production's side abnormal.
"""

from __future__ import annotations

from datetime import datetime

from watchdog.dws.models import ClusterInfo, DrClusterStatus, DrStatus
from watchdog.evidence.controlplane import unreachable
from watchdog.failover.base import DrApi
from watchdog.model import FailoverIntent, SignalSource, Verdict
from watchdog.probes import cluster_signal, read


async def recheck(
    client: DrApi, intent: FailoverIntent, now: datetime, production: DrApi | None = None
) -> str | None:
    """None: still an outage to act on; otherwise what was seen (the reason to abort). `production`:
    the client of production's endpoint when it is not `client`'s (a cross-region pair)."""
    task = await read(client.show_disaster_recovery(intent.disaster_recovery_id))
    if task.value is None:
        return f"the DR task could not be read ({task.error})"
    primary = task.value.primary_cluster.id if task.value.primary_cluster else None
    if intent.old_primary_id is None or primary != intent.old_primary_id:
        return f"the roles changed: the DR task's primary is {primary}, was {intent.old_primary_id}"
    if task.value.status is DrStatus.SWITCHOVERING:
        return "a switch is already in progress (the DR task is switchovering)"
    cluster = await read(_cluster(production or client, intent.old_primary_id))
    if production is not None and production is not client and unreachable(cluster):
        side = task.value.primary_cluster.status if task.value.primary_cluster else None
        if task.value.status is DrStatus.ABNORMAL and side is DrClusterStatus.ABNORMAL:
            return None
        return f"production's endpoint unreachable, but the DR task is {task.value.status_raw}, not abnormal"
    signal = cluster_signal(SignalSource.PRODUCTION_CLUSTER, "production", cluster, now)
    if signal.verdict is not Verdict.DOWN:
        return f"production is not down: {signal.error or signal.detail} ({signal.verdict.value})"
    return None


async def _cluster(client: DrApi, cluster_id: str) -> ClusterInfo:
    return await client.show_cluster(cluster_id)
