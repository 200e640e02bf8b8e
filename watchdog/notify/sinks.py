"""The two channels: Alertmanager API v2 and a signed JSON webhook, each with bounded retries.

Delivery classifies the answer: 2xx is sent; a timeout, a connection error, 5xx or 429 is retried
with exponential backoff (plus a little jitter) up to `max_attempts`; any other 4xx is a permanent
failure (retrying a request the receiver rejects only delays the next notification).

Webhook signature: `X-DRW-Signature: sha256=<hex>` where hex is HMAC-SHA256 with the shared secret
over `<X-DRW-Timestamp>.<body>`; signing the timestamp lets receivers refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import httpx

from watchdog.clock import Clock
from watchdog.notify.events import Event, EventKind
from watchdog.notify.settings import AlertmanagerSettings, NotificationSettings, WebhookSettings

SIGNATURE_HEADER = "X-DRW-Signature"
TIMESTAMP_HEADER = "X-DRW-Timestamp"
EVENT_ID_HEADER = "X-DRW-Event-Id"
USER_AGENT = "dr-watchdog-notify"


class Outcome(StrEnum):
    """How one delivery attempt (or a whole delivery) ended; label values of the notification metrics."""

    SENT = "sent"
    RETRIED = "retried"
    FAILED = "failed"
    DROPPED = "dropped"


class Sink(Protocol):
    """A channel: a name for metrics and the request to send for an event."""

    name: str
    timeout: float

    def request(self, event: Event, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        """(url, body, headers) for this event."""
        ...


def alertmanager_alert(event: Event, settings: AlertmanagerSettings, now: datetime) -> dict[str, Any]:
    """One Alertmanager v2 alert; a resolution sets endsAt to the event time."""
    alertname = "DrWatchdogDecision" if event.kind is EventKind.DECISION else "DrWatchdogHook"
    labels = {**settings.labels, "alertname": alertname, "service": "dr-watchdog"}
    labels |= {"pair": event.pair, "state": event.name, "severity": event.severity.value}
    ends = event.at if event.resolved else now + timedelta(seconds=settings.resolve_after_seconds)
    annotations = {"summary": event.summary, "description": event.description}
    annotations["runbook_url"] = f"docs/runbook.md#{_anchor(event)}"
    return {
        "labels": labels,
        "annotations": annotations,
        "startsAt": event.at.isoformat(),
        "endsAt": ends.isoformat(),
    }


def _anchor(event: Event) -> str:
    """The runbook section for the event's state (the alert rule of the same meaning)."""
    anchors = {
        "failover_warranted": "drfailoverwarranted",
        "blocked": "drfailoverblocked",
        "failing_over": "drfailoverinprogresstoolong",
        "failed_over": "drfailovercompleted",
        "failover_failed": "drfailoverfailed",
    }
    return anchors.get(event.name, "hooks-and-notifications")


def webhook_body(event: Event) -> bytes:
    """The webhook's JSON body (stable key order, so the signature covers exactly these bytes)."""
    doc = {
        "version": 1,
        "id": event.id,
        "kind": event.kind.value,
        "pair": event.pair,
        "name": event.name,
        "severity": event.severity.value,
        "resolved": event.resolved,
        "summary": event.summary,
        "description": event.description,
        "at": event.at.isoformat(),
        "details": dict(event.details),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-DRW-Signature value for this timestamp and body."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300
) -> bool:
    """What a receiver does: constant-time compare, and refuse timestamps outside the tolerance."""
    try:
        fresh = abs(now - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class AlertmanagerSink:
    """POST {url}/api/v2/alerts with a one-alert list."""

    name = "alertmanager"

    def __init__(self, settings: AlertmanagerSettings) -> None:
        self.settings = settings
        self.timeout = settings.timeout_seconds

    def request(self, event: Event, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps([alertmanager_alert(event, self.settings, now)]).encode()
        return f"{self.settings.url}/api/v2/alerts", body, {"Content-Type": "application/json"}


class WebhookSink:
    """POST the signed JSON body to the configured URL."""

    name = "webhook"

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.timeout = settings.timeout_seconds
        self._secret = settings.secret.get_secret_value().encode()

    def request(self, event: Event, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        body = webhook_body(event)
        timestamp = str(int(now.timestamp()))
        headers = {**self.settings.headers, "Content-Type": "application/json"}
        headers |= {TIMESTAMP_HEADER: timestamp, EVENT_ID_HEADER: event.id}
        headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        return self.settings.url, body, headers


def sinks_for(settings: NotificationSettings) -> list[Sink]:
    """The configured channels."""
    out: list[Sink] = []
    if settings.alertmanager is not None:
        out.append(AlertmanagerSink(settings.alertmanager))
    if settings.webhook is not None:
        out.append(WebhookSink(settings.webhook))
    return out


def _retriable(status: int) -> bool:
    return status >= 500 or status == 429


@dataclass
class Deliverer:
    """Sends one event to one sink with bounded retries; reports each outcome to `observer`."""

    client: httpx.AsyncClient
    settings: NotificationSettings
    clock: Clock
    observer: Callable[[str, Outcome], None]
    jitter: Callable[[], float] = random.random

    def backoff(self, attempt: int) -> float:
        """Delay before attempt `attempt + 1`: doubling from the initial delay, capped, +-10% jitter."""
        base = min(
            self.settings.backoff_max_seconds, self.settings.backoff_initial_seconds * 2.0 ** (attempt - 1)
        )
        return base * (0.9 + 0.2 * self.jitter())

    async def deliver(self, sink: Sink, event: Event) -> Outcome:
        """Try up to max_attempts times; SENT or FAILED in the end, never an exception."""
        for attempt in range(1, self.settings.max_attempts + 1):
            retry = await self._attempt(sink, event)
            if retry is None:
                return Outcome.SENT
            if not retry or attempt == self.settings.max_attempts:
                break
            self.observer(sink.name, Outcome.RETRIED)
            await self.clock.sleep(self.backoff(attempt))
        self.observer(sink.name, Outcome.FAILED)
        return Outcome.FAILED

    async def _attempt(self, sink: Sink, event: Event) -> bool | None:
        """One POST: None when sent, else whether it is worth retrying."""
        url, body, headers = sink.request(event, self.clock.now())
        try:
            response = await self.client.post(url, content=body, headers=headers, timeout=sink.timeout)
        except httpx.HTTPError:
            return True
        if response.is_success:
            self.observer(sink.name, Outcome.SENT)
            return None
        return _retriable(response.status_code)
