"""The alert rules: promtool-clean, unit-tested firing and not firing, documented in the runbook."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.deploy.rules import ALERTS, RULE_TESTS, alert_rules, metric_names, runbook_anchors
from tests.deploy.tools import tool

ISSUE_ALERTS = {
    "DrWatchdogDown", "DrWatchdogAbsent", "DrProductionDown", "DrFailoverWarranted", "DrFailoverBlocked",
    "DrFailoverInProgressTooLong", "DrFailoverFailed", "DrSyncLagHigh", "DrWatchdogBlind",
    "DrWatchdogApiAuthFailing", "DrWatchdogPausedTooLong", "DrWatchdogRoundsOverrunning",
}  # fmt: skip


def test_check_rules_lint_fatal() -> None:
    """promtool check rules --lint-fatal accepts alerts.yml (no duplicates, no lint findings)."""
    proc = subprocess.run(
        [tool("promtool"), "check", "rules", "--lint-fatal", str(ALERTS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: object) -> None:
    """Every promtool rule unit test file passes (alerts, labels and rendered annotations)."""
    proc = subprocess.run(
        [tool("promtool"), "test", "rules", str(test_file)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_issue_alerts_are_all_present() -> None:
    """Every alert the issue asks for exists, once."""
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))
    assert set(names) >= ISSUE_ALERTS


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_is_documented(rule: dict[str, object]) -> None:
    """Each alert has a severity, a summary, a description naming its subject, and a runbook anchor."""
    labels = rule["labels"]
    annotations = rule["annotations"]
    assert isinstance(labels, dict) and isinstance(annotations, dict)
    assert labels["severity"] in {"critical", "warning", "info"}
    assert annotations["summary"]
    description = annotations["description"]
    subjects = ("$labels.pair", "$labels.instance", "$labels.operation", "$labels.sink", 'job="dr-watchdog"')
    assert any(subject in description for subject in subjects)
    anchor = str(rule["alert"]).lower()
    assert annotations["runbook_url"] == f"docs/runbook.md#{anchor}"
    assert anchor in runbook_anchors()


def _exercised() -> tuple[set[str], set[str]]:
    """Alerts with at least one expected firing case, and with at least one expected quiet case."""
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    return firing, quiet


def test_every_alert_is_tested_firing_and_quiet() -> None:
    """The promtool tests cover every alert both firing and not firing."""
    names = {rule["alert"] for rule in alert_rules()}
    firing, quiet = _exercised()
    assert names - firing == set()
    assert names - quiet == set()


def test_rules_use_only_watchdog_metrics_and_up() -> None:
    """Alert expressions select dr_watchdog_* metrics (plus `up`), nothing from other exporters."""
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            assert name == "up" or name.startswith("dr_watchdog_"), (rule["alert"], name)
