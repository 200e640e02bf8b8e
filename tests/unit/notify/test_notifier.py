"""The notifier against a real HTTP receiver on 127.0.0.1: signing, retries, bounds, never blocking."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from tests.unit.notify.factory import T0, decision
from tests.unit.notify.receiver import Receiver
from watchdog.clock import FakeClock
from watchdog.model import State
from watchdog.notify import (
    NotificationSettings,
    Notifier,
    Outcome,
    WebhookSettings,
    decision_event,
    verify,
)

SECRET = "webhook-secret-0123456789"


def _settings(url: str, **kw: Any) -> NotificationSettings:
    hook = WebhookSettings(url=url, secret=SecretStr(SECRET), timeout_seconds=2)
    return NotificationSettings(webhook=hook, backoff_initial_seconds=0.5, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _deliver(settings: NotificationSettings, clock: FakeClock | None = None) -> Notifier:
    """Push one warranted-failover decision through a started notifier and wait for the outcome."""
    notifier = Notifier(settings, clock=clock or FakeClock(T0))
    async with notifier:
        notifier.on_decision(decision())
        await asyncio.wait_for(notifier.drain(), 10)
    return notifier


def test_webhook_body_is_signed_and_complete() -> None:
    """The webhook gets the decision as JSON with pair, state, reasons and numbers, with a valid HMAC."""
    with Receiver() as rx:
        asyncio.run(_deliver(_settings(rx.url + "/hook")))
    (req,) = rx.requests
    assert req.path == "/hook"
    body = json.loads(req.body)
    assert (body["pair"], body["name"], body["severity"]) == ("sales-dw", "failover_warranted", "critical")
    assert body["details"]["expected_data_loss_seconds"] == 412.0
    assert body["details"]["reasons"][0]["values"] == {"consecutive_down": 4.0, "outage_seconds": 75.0}
    ts, sig = req.headers["x-drw-timestamp"], req.headers["x-drw-signature"]
    assert verify(SECRET.encode(), ts, req.body, sig, now=float(ts))
    assert not verify(b"another-secret-000000", ts, req.body, sig, now=float(ts))
    assert not verify(SECRET.encode(), ts, req.body + b" ", sig, now=float(ts))
    assert not verify(SECRET.encode(), ts, req.body, sig, now=float(ts) + 3600)
    assert SECRET not in req.body.decode() and SECRET not in json.dumps(req.headers)


def test_retries_5xx_and_429_then_sends() -> None:
    """503, 429 then 200: three attempts, sent once, with doubling backoff on the injected clock."""
    clock = FakeClock(T0)
    with Receiver(statuses=[503, 429, 200]) as rx:
        notifier = asyncio.run(_deliver(_settings(rx.url), clock))
    assert len(rx.requests) == 3
    assert notifier.counts[("webhook", Outcome.SENT)] == 1
    assert notifier.counts[("webhook", Outcome.RETRIED)] == 2
    assert 0.5 * 0.9 + 1.0 * 0.9 <= clock.monotonic() <= 0.5 * 1.1 + 1.0 * 1.1
    assert len({r.headers["x-drw-event-id"] for r in rx.requests}) == 1


def test_client_error_is_not_retried() -> None:
    """A 400 is a permanent failure: one attempt, counted as failed."""
    with Receiver(statuses=[400]) as rx:
        notifier = asyncio.run(_deliver(_settings(rx.url)))
    assert len(rx.requests) == 1
    assert notifier.counts[("webhook", Outcome.FAILED)] == 1


def test_attempts_are_bounded() -> None:
    """A receiver that always answers 500 gets exactly max_attempts requests, then the event is given up."""
    with Receiver(statuses=[500]) as rx:
        notifier = asyncio.run(_deliver(_settings(rx.url, max_attempts=4)))
    assert len(rx.requests) == 4
    assert notifier.counts[("webhook", Outcome.FAILED)] == 1
    assert notifier.counts[("webhook", Outcome.SENT)] == 0


def test_unreachable_receiver_fails_quietly() -> None:
    """Connection refused is retried and then counted as failed, never raised."""
    notifier = asyncio.run(_deliver(_settings(f"http://127.0.0.1:{_free_port()}", max_attempts=3)))
    assert notifier.counts[("webhook", Outcome.RETRIED)] == 2
    assert notifier.counts[("webhook", Outcome.FAILED)] == 1


def test_publish_never_blocks_and_drops_oldest() -> None:
    """With the receiver hung and the queue full, publishing returns at once and drops the oldest events."""

    async def scenario(rx: Receiver) -> tuple[float, Notifier, list[str]]:
        notifier = Notifier(_settings(rx.url, queue_size=2, max_attempts=1), clock=FakeClock(T0))
        async with notifier:
            notifier.publish(decision_event(decision(pair="first")))
            await asyncio.sleep(0.2)  # the worker takes "first" and hangs on the receiver
            start = time.perf_counter()
            for i in range(6):
                notifier.publish(decision_event(decision(pair=f"p{i}")))
            elapsed = time.perf_counter() - start
            rx.gate.set()
            await asyncio.wait_for(notifier.drain(), 10)
        return elapsed, notifier, [json.loads(r.body)["pair"] for r in rx.requests]

    with Receiver(hang_seconds=10) as rx:
        elapsed, notifier, pairs = asyncio.run(scenario(rx))
    assert elapsed < 0.05
    assert notifier.dropped == 4
    assert pairs == ["first", "p4", "p5"]


def test_tracker_raises_repeats_and_resolves() -> None:
    """Entering an alerting state notifies, repeats only after repeat_seconds, and leaving it resolves."""

    async def scenario() -> list[list[tuple[str, bool]]]:
        notifier = Notifier(_settings("http://127.0.0.1:9", repeat_seconds=300))
        rounds = [
            decision(State.HEALTHY, seconds=0),
            decision(State.SUSPECT, seconds=15),
            decision(State.FAILOVER_WARRANTED, seconds=30),
            decision(State.FAILOVER_WARRANTED, seconds=45),
            decision(State.FAILOVER_WARRANTED, seconds=330),
            decision(State.HEALTHY, seconds=345),
        ]
        out = [[(e.name, e.resolved) for e in notifier.on_decision(d)] for d in rounds]
        await notifier.aclose(grace_seconds=0)
        return out

    assert asyncio.run(scenario()) == [
        [],
        [],
        [("failover_warranted", False)],
        [],
        [("failover_warranted", False)],
        [("failover_warranted", True)],
    ]


def test_no_channel_is_a_noop() -> None:
    """Without any channel configured nothing is queued."""

    async def scenario() -> list[object]:
        notifier = Notifier(NotificationSettings())
        events = notifier.on_decision(decision())
        await notifier.aclose()
        return list(events)

    assert NotificationSettings().enabled is False
    assert asyncio.run(scenario()) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"webhook": {"url": "http://127.0.0.1:1", "secret": SECRET, "sekret": "x"}}, "sekret"),
        ({"webhook": {"url": "http://127.0.0.1:1", "secret": "short"}}, "secret"),
        ({"webhook": {"url": "ftp://127.0.0.1/x", "secret": SECRET}}, "url"),
        ({"alertmanager": {"url": "http://127.0.0.1:9093", "timeout_seconds": 0}}, "timeout_seconds"),
        ({"states": ["failover_warranted", "on_fire"]}, "states"),
        ({"queue_size": 0}, "queue_size"),
    ],
)
def test_settings_reject_bad_input(data: dict[str, Any], field: str) -> None:
    """Unknown keys and bad values are errors that name the field."""
    with pytest.raises(ValidationError) as info:
        NotificationSettings.model_validate(data)
    assert field in str(info.value)


def test_secret_is_masked() -> None:
    """The webhook secret never shows in the settings' repr or JSON dump."""
    settings = NotificationSettings.model_validate(
        {"webhook": {"url": "http://127.0.0.1:1", "secret": SECRET}}
    )
    assert SECRET not in repr(settings)
    assert SECRET not in settings.model_dump_json()
