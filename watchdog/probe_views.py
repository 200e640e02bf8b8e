"""The model's views of one pair built from the DWS answers: the DR task oriented, clusters, last sync.

Orientation (which cluster is production) comes only from role-bearing data: the detail's
role-based `primary_cluster`/`standby_cluster`, or list role fields that say explicitly `primary`
and `standby` (case-insensitive, one of each; swapped roles swap the list's fields). The list's
`primary_cluster_*` fields alone may keep the creation's order after a switchover, so when the
detail cannot be read and the list's roles are absent, another vocabulary or inconsistent, the pair
has no DR task view this round: every signal is UNKNOWN with the reason, and the policy, which
learns its baseline production from the DR task view, learns nothing from the round.
"""

from __future__ import annotations

from datetime import datetime

from watchdog.dws.models import ClusterInfo, DisasterRecovery, DisasterRecoveryDetail
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
    text = f"which cluster is production is unknown: the DR list's roles ({roles}) are not primary/standby"
    return text + (f" and the DR detail was not read: {detail_error}" if detail_error else "")


def view(cluster: ClusterInfo | None) -> ClusterView | None:
    """The model's ClusterView: the raw status string as the API gave it, sub_status split."""
    if cluster is None:
        return None
    return ClusterView(
        cluster.id, cluster.name or "", cluster.status_raw, cluster.sub_status, cluster.task_status,
        dict(cluster.action_progress), cluster.version, cluster.failed_reasons,
    )  # fmt: skip


def last_sync_of(
    item: DisasterRecovery | None, detail: DisasterRecoveryDetail | None, readable: bool
) -> tuple[datetime | None, bool]:
    """The current primary's last_success_time from the detail, else the list's last_disaster_time.

    Returns (time, known): known is False when neither source could be read; (None, True) means the
    API says it never synced.
    """
    primary = detail.primary_cluster if detail is not None else None
    if primary is not None and primary.last_success_time is not None:
        return primary.last_success_time, True
    if item is not None and item.last_disaster_time is not None:
        return item.last_disaster_time, True
    known = (detail is not None and primary is not None) or (item is not None and readable)
    return None, known
