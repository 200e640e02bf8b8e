"""Notifications page as the alert rules do: observe mode records without raising the paging signal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.notify.factory import decision
from watchdog.model import Mode, Policy, State
from watchdog.notify import decision_event
from watchdog.notify.events import Severity


@pytest.mark.parametrize(
    ("mode", "state", "severity"),
    [
        (Mode.RECOMMEND, State.FAILOVER_WARRANTED, Severity.CRITICAL),
        (Mode.AUTO, State.BLOCKED, Severity.CRITICAL),
        (Mode.OBSERVE, State.FAILOVER_WARRANTED, Severity.INFO),
        (Mode.OBSERVE, State.BLOCKED, Severity.INFO),
        (Mode.RECOMMEND, State.HEALTHY, Severity.INFO),
    ],
)
def test_an_observe_mode_decision_is_pushed_as_info(mode: Mode, state: State, severity: Severity) -> None:
    """A warranted or blocked failover in observe mode is pushed (recorded), at info, never critical;
    its resolution carries the same severity, so Alertmanager matches it."""
    d = replace(decision(state), policy=Policy(mode=mode))
    assert decision_event(d).severity is severity
    assert decision_event(d, state=state, resolved=True).severity is severity
