"""End to end: a decision pushed by the notifier reaches a real Alertmanager, which pages onward."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from tests.deploy.servers import alertmanager, get_json
from tests.unit.notify.factory import decision
from tests.unit.notify.receiver import Receiver
from watchdog.clock import SystemClock
from watchdog.model import State
from watchdog.notify import AlertmanagerSettings, NotificationSettings, Notifier, Outcome


def _wait_for(predicate: Any, timeout: float = 20) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


async def _push(base: str, *states: State) -> None:
    settings = NotificationSettings(alertmanager=AlertmanagerSettings(url=base, labels={"team": "dba"}))
    async with Notifier(settings, clock=SystemClock()) as notifier:
        for i, state in enumerate(states):
            notifier.on_decision(decision(state, seconds=i))
        await asyncio.wait_for(notifier.drain(), 20)
        sent = len(states) if State.HEALTHY in states else 1
        assert dict(notifier.counts) == {("alertmanager", Outcome.SENT): sent}


def test_decision_reaches_alertmanager_and_is_routed(tmp_path: Path) -> None:
    """A warranted failover becomes an active Alertmanager alert, then is routed to the receiver."""
    with Receiver() as pager, alertmanager(tmp_path, pager.url + "/page") as base:
        asyncio.run(_push(base, State.FAILOVER_WARRANTED))
        alerts = get_json(f"{base}/api/v2/alerts")
        (alert,) = alerts
        assert alert["labels"] == {
            "alertname": "DrWatchdogDecision",
            "service": "dr-watchdog",
            "pair": "sales-dw",
            "state": "failover_warranted",
            "severity": "critical",
            "team": "dba",
        }
        assert "expected data loss 412 s" in alert["annotations"]["description"]
        assert alert["status"]["state"] == "active"
        page = _wait_for(lambda: [json.loads(r.body) for r in pager.requests if r.path == "/page"])
        assert page[0]["status"] == "firing"
        assert page[0]["alerts"][0]["labels"]["pair"] == "sales-dw"


def test_leaving_the_state_resolves_the_alert(tmp_path: Path) -> None:
    """When the pair returns to healthy, the pushed resolution ends the alert in Alertmanager.

    The resolution is pushed once the firing alert has been routed: Alertmanager sends a "resolved"
    only for an alert it notified as firing, and one resolved within its group_wait is never sent
    (pushing both at once made this test depend on that race)."""

    async def push(base: str, pager: Receiver) -> None:
        settings = NotificationSettings(alertmanager=AlertmanagerSettings(url=base, labels={"team": "dba"}))
        async with Notifier(settings, clock=SystemClock()) as notifier:
            notifier.on_decision(decision(State.FAILOVER_WARRANTED, seconds=0))
            await asyncio.wait_for(notifier.drain(), 20)
            await asyncio.to_thread(_wait_for, lambda: [r for r in pager.requests if r.path == "/page"])
            notifier.on_decision(decision(State.HEALTHY, seconds=1))
            await asyncio.wait_for(notifier.drain(), 20)
            assert dict(notifier.counts) == {("alertmanager", Outcome.SENT): 2}

    with Receiver() as pager, alertmanager(tmp_path, pager.url + "/page") as base:
        asyncio.run(push(base, pager))
        assert get_json(f"{base}/api/v2/alerts?active=true") == []
        resolved = _wait_for(
            lambda: [json.loads(r.body) for r in pager.requests if json.loads(r.body)["status"] == "resolved"]
        )
        assert resolved[0]["alerts"][0]["labels"]["state"] == "failover_warranted"
