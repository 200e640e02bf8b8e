"""Configuration of notifications: where decisions are pushed, and how hard we try.

H4's Settings holds one `NotificationSettings` as its `notifications` section. Every model forbids
unknown keys, so a typo in the YAML is an error naming the field rather than a silently dead channel.
The webhook secret is a `SecretStr`: it can come from a secret file (`notifications_webhook_secret`)
and is never printed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from watchdog.model import State

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str) -> str:
    """An http(s) URL with a host; anything else is rejected with the reason."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host, e.g. http://127.0.0.1:9093")
    return value.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class AlertmanagerSettings(BaseModel):
    """Push decisions as alerts to Alertmanager's API v2 (POST {url}/api/v2/alerts)."""

    model_config = _STRICT

    url: HttpUrl
    """Alertmanager base URL, e.g. http://alertmanager:9093 (no /api path)."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Seconds for one POST. 5 s: Alertmanager answers in milliseconds when it is healthy."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra labels on every alert (e.g. team, environment) for Alertmanager routing."""
    resolve_after_seconds: float = Field(default=900.0, gt=0)
    """endsAt = now + this: an alert we stop re-sending (the daemon died) resolves by itself."""


class WebhookSettings(BaseModel):
    """Push decisions as JSON to any HTTP endpoint, signed with HMAC-SHA256."""

    model_config = _STRICT

    url: HttpUrl
    """Receiver URL; the JSON body is POSTed there."""
    secret: SecretStr = Field(min_length=16)
    """Shared HMAC key (at least 16 characters); receivers verify X-DRW-Signature with it."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Seconds for one POST."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers (e.g. a routing key). Not secret: they may be shown by check-config."""


DEFAULT_STATES = (
    State.FAILOVER_WARRANTED,
    State.BLOCKED,
    State.FAILING_OVER,
    State.FAILED_OVER,
    State.FAILOVER_FAILED,
)


class NotificationSettings(BaseModel):
    """Where decisions go and the delivery policy shared by every channel."""

    model_config = _STRICT

    alertmanager: AlertmanagerSettings | None = None
    """Alertmanager API v2 channel; null disables it."""
    webhook: WebhookSettings | None = None
    """Signed JSON webhook channel; null disables it."""
    states: tuple[State, ...] = DEFAULT_STATES
    """Decision states that raise a notification; leaving one of them sends a resolution."""
    repeat_seconds: float = Field(default=300.0, gt=0)
    """Re-send an ongoing alerting state this often, so Alertmanager keeps the alert firing."""
    queue_size: int = Field(default=256, ge=1, le=100_000)
    """Pending notifications kept; when full, the oldest is dropped (and counted), never the loop blocked."""
    max_attempts: int = Field(default=5, ge=1, le=20)
    """Attempts per notification and channel (timeouts, connection errors, 5xx and 429 are retried)."""
    backoff_initial_seconds: float = Field(default=0.5, gt=0)
    """First retry delay; doubles on each further attempt."""
    backoff_max_seconds: float = Field(default=30.0, gt=0)
    """Upper bound of one retry delay."""

    @property
    def enabled(self) -> bool:
        """True when at least one channel is configured."""
        return self.alertmanager is not None or self.webhook is not None
