"""Credentials or permissions the DWS API refuses: said loudly once per change, never every round.

A wrong, rotated or expired key, or an IAM user that lost a permission, makes every read of a project
fail with 401/403 (APIGW.0301 and the like). Each round's decision already records that the pairs
are unknown, at INFO; this module makes the refusal itself visible: one WARNING per project when it
starts or changes (another HTTP status or code), and one when it ends.
The text holds only the status, the service's code and message (scrubbed of every credential by
DwsError) and the operation, never the request id, so the same refusal reads the same every round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from watchdog.dws.errors import AuthenticationError, DwsError

log = logging.getLogger("watchdog.probes")


def first_refusal(failures: Iterable[DwsError | None]) -> AuthenticationError | None:
    """The first authentication or permission failure among a round's read failures, if any."""
    return next((f for f in failures if isinstance(f, AuthenticationError)), None)


def refusal_text(refused: AuthenticationError) -> str:
    """`401 APIGW.0301 Incorrect IAM authentication information: ... (list_disaster_recover)`."""
    parts = [str(refused.status) if refused.status is not None else "refused"]
    if refused.error_code and refused.error_code != parts[0]:
        parts.append(refused.error_code)
    if refused.error_msg:
        parts.append(refused.error_msg)
    return f"{' '.join(parts)} ({refused.operation})"


class RefusalLog:
    """Per project, the refusal last reported; logs only when it starts, changes or ends."""

    def __init__(self) -> None:
        self._current: dict[str, tuple[int | None, str | None]] = {}

    def note(self, project_id: str, refused: AuthenticationError | None) -> None:
        """Record one complete probe round of a project (a round that timed out says nothing)."""
        key = (refused.status, refused.error_code) if refused is not None else None
        if key == self._current.get(project_id):
            return
        fields = {"project": project_id}
        if refused is None:
            del self._current[project_id]
            text = "the DWS API of project %s no longer refuses our credentials or permissions"
            log.warning(text, project_id, extra=fields)
            return
        self._current[project_id] = (refused.status, refused.error_code)
        log.warning(
            "cannot read the DWS API of project %s: %s; the pairs it hides are unknown until the "
            "credentials or permissions are fixed (logged again when this changes or ends)",
            project_id,
            refusal_text(refused),
            extra={**fields, "http_status": refused.status, "error_code": refused.error_code},
        )
