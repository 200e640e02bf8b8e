"""Notifications: decisions pushed to Alertmanager (API v2) and to an HMAC-signed webhook.

Never blocks the decision loop (a bounded queue and one worker; the oldest event is dropped when it
is full), retries a bounded number of times, and imports nothing of the daemon: H4's Settings embeds
`NotificationSettings`, and the daemon calls `Notifier.on_decision(decision)` once per pair per round.
"""

from watchdog.notify.events import DecisionTracker, Event, EventKind, Severity, decision_event
from watchdog.notify.notifier import Notifier
from watchdog.notify.settings import AlertmanagerSettings, NotificationSettings, WebhookSettings
from watchdog.notify.sinks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Outcome,
    alertmanager_alert,
    sign,
    verify,
    webhook_body,
)

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AlertmanagerSettings",
    "DecisionTracker",
    "Event",
    "EventKind",
    "NotificationSettings",
    "Notifier",
    "Outcome",
    "Severity",
    "WebhookSettings",
    "alertmanager_alert",
    "decision_event",
    "sign",
    "verify",
    "webhook_body",
]
