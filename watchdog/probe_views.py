"""The model's views of one pair built from the DWS answers: the DR task oriented, clusters, last sync.

Orientation (which cluster is production) comes only from role-bearing data: the detail's
role-based `primary_cluster`/`standby_cluster`, or list role fields that say explicitly `primary`
and `standby` (case-insensitive, one of each; swapped roles swap the list's fields). The list's
`primary_cluster_*` fields alone may keep the creation's order after a switchover, so when the
detail cannot be read and the list's roles are absent, another vocabulary or inconsistent, the pair
has no DR task view this round: every signal is UNKNOWN with the reason, and the policy, which
learns its baseline production from the DR task view, learns nothing from the round.

The last-sync time (`Observation.last_sync`, with `last_sync_source`) is the point the DR copy can
be recovered to. Data written on production after it is lost by a failover, so it must be what the
*standby* side has restored, not what production has backed up: production's own
`last_success_time` may be newer than anything the standby applied. When the detail is read (a pair
in trouble: production or the task not plainly healthy, which is when the data loss decides), it is
the OLDEST of the standby-side times the API gives: the detail's `standby_cluster.last_success_time`
and show-progress's `latest_barrier_time` (the newest consistency barrier). Production's
`last_success_time` is never used. A plainly healthy pair is not worth two extra calls per round
(the cost rule), so the DR list's `last_disaster_time` stands for it (shown in status and metrics;
no failover is decided on a healthy round). A pair whose detail was needed but could not be read, or
whose standby side gives no time while another field shows a sync, has an unknown last sync, which
blocks a failover (`sync_unknown`) until a round reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchdog.dws.models import (
    ClusterInfo,
    DisasterRecovery,
    DisasterRecoveryDetail,
    DisasterRecoveryProgress,
)
from watchdog.model import ClusterView, DrTaskView


def task_view(item: DisasterRecovery | None, detail: DisasterRecoveryDetail | None) -> DrTaskView | None:
    """The DR task; the detail (role-based, authoritative during a switch) wins over the list item.

    From the list alone only when its role fields say which cluster is production (`list_roles`):
    otherwise None, so no cluster is taken for production and the policy learns no baseline from it.
    """
    if detail is not None and detail.primary_cluster is not None and detail.standby_cluster is not None:
        p, s = detail.primary_cluster, detail.standby_cluster
        return DrTaskView(
            detail.id, detail.name or "", detail.status_raw, p.id, s.id,
            p.status_raw or None, s.status_raw or None, p.role, s.role, detail.dr_sync_period,
        )  # fmt: skip
    roles = list_roles(item) if item is not None else None
    if item is None or roles is None or not item.primary_cluster_id or not item.standby_cluster_id:
        return None
    first = (item.primary_cluster_id, item.primary_cluster_status_raw or None, item.primary_cluster_role)
    second = (item.standby_cluster_id, item.standby_cluster_status_raw or None, item.standby_cluster_role)
    (p_id, p_status, p_role), (s_id, s_status, s_role) = (
        (first, second) if roles == ROLES_AS_LISTED else (second, first)
    )
    return DrTaskView(
        item.id, item.name or "", item.status_raw, p_id, s_id, p_status, s_status, p_role, s_role
    )


ROLES_AS_LISTED = ("primary", "standby")
ROLES_SWAPPED = ("standby", "primary")


def list_roles(item: DisasterRecovery) -> tuple[str, str] | None:
    """The list item's (primary_cluster_role, standby_cluster_role), lower-cased, when they say
    explicitly which cluster is production: one `primary` and one `standby` (case-insensitive).

    The docs only establish that the *detail* is role-based; the list's `primary_cluster_*` fields
    may keep the creation's order, so only its role fields can orient it. Absent roles, another
    vocabulary or two equal roles give None: the list cannot tell which cluster is production.
    """
    roles = (
        (item.primary_cluster_role or "").strip().lower(),
        (item.standby_cluster_role or "").strip().lower(),
    )
    return roles if roles in (ROLES_AS_LISTED, ROLES_SWAPPED) else None


def unoriented(item: DisasterRecovery, detail_error: str | None) -> str:
    """Why the round cannot tell which cluster is production: the list's roles say nothing, and the
    detail (role-based) was not read."""
    roles = f"{item.primary_cluster_role!r}/{item.standby_cluster_role!r}"
    text = f"the DR list's roles ({roles}) do not say which cluster is production"
    return text + (f", and the DR detail was not read: {detail_error}" if detail_error else "")


def view(cluster: ClusterInfo | None) -> ClusterView | None:
    """The model's ClusterView: the raw status string as the API gave it, sub_status split."""
    if cluster is None:
        return None
    return ClusterView(
        cluster.id, cluster.name or "", cluster.status_raw, cluster.sub_status, cluster.task_status,
        dict(cluster.action_progress), cluster.version, cluster.failed_reasons,
    )  # fmt: skip


@dataclass(frozen=True)
class LastSync:
    """The point the DR copy can be recovered to, as far as the API tells: `time` (None: never synced,
    or not known), `known`, and `source`, the field it came from (named in the data-loss reason)."""

    time: datetime | None
    known: bool
    source: str | None = None


LIST_SYNC = "list last_disaster_time"
STANDBY_SYNC = "standby last_success_time"
BARRIER_SYNC = "progress latest_barrier_time"


def last_sync_of(
    item: DisasterRecovery | None,
    detail: DisasterRecoveryDetail | None,
    progress: DisasterRecoveryProgress | None,
    *,
    settled: bool,
) -> LastSync:
    """The recoverable point (see the module docstring for the rule).

    `settled`: the DR list was read and settled the pair (no detail needed): its last_disaster_time
    stands. Otherwise only the standby side's times count: the oldest of the detail's standby
    last_success_time and show-progress's latest_barrier_time. A detail whose standby side gives no
    time is "never synced" only when no other field of the answer saw a sync either; else unknown.
    """
    if settled and item is not None and item.last_disaster_time is not None:
        return LastSync(item.last_disaster_time, True, LIST_SYNC)
    standby = detail.standby_cluster if detail is not None else None
    candidates = [
        (when, source)
        for when, source in (
            (standby.last_success_time if standby is not None else None, STANDBY_SYNC),
            (progress.latest_barrier_time if progress is not None else None, BARRIER_SYNC),
        )
        if when is not None
    ]
    if candidates:
        when, source = min(candidates, key=lambda c: c[0])
        return LastSync(when, True, source)
    if detail is None or standby is None:
        return LastSync(None, False)
    primary = detail.primary_cluster
    synced_elsewhere = (primary is not None and primary.last_success_time is not None) or (
        item is not None and item.last_disaster_time is not None
    )
    return LastSync(None, not synced_elsewhere)
