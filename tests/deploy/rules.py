"""Helpers to read the alert rules, the runbook and metric names out of PromQL (shared by deploy tests)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.deploy.tools import REPO

ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = sorted((REPO / "deploy" / "prometheus" / "tests").glob("*.yml"))
RUNBOOK = REPO / "docs" / "runbook.md"

_PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset",
    "bool", "sum", "max", "min", "avg", "count", "rate", "increase", "irate", "absent", "delta",
    "histogram_quantile", "topk", "bottomk", "changes", "resets", "time", "vector", "scalar",
    "max_over_time", "min_over_time", "avg_over_time", "last_over_time", "label_replace", "clamp_min",
    "clamp_max", "timestamp", "le", "inf", "nan", "sort", "sort_desc", "quantile", "count_values",
}  # fmt: skip


def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of alerts.yml."""
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"] if "alert" in rule]


def runbook_anchors() -> set[str]:
    """GitHub-style anchors of the runbook's level-2 headings."""
    heads = re.findall(r"^## (.+)$", RUNBOOK.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in heads}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (identifiers outside strings and label matchers)."""
    no_strings = re.sub(r'"[^"]*"', '""', expr)
    no_matchers = re.sub(r"\{[^}]*\}", "{}", no_strings)
    no_ranges = re.sub(r"\[[^\]]*\]", "[]", no_matchers)
    no_groupings = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", no_ranges)
    no_numbers = re.sub(r"\b\d+(\.\d+)?([smhdwy]|ms)?\b", "0", no_groupings)  # 0.95, offset 1m
    words = set(re.findall(r"(?<![\w$])[a-zA-Z_:][a-zA-Z0-9_:]*", no_numbers))
    return {w for w in words if w.lower() not in _PROMQL_WORDS}


def base_metric(name: str) -> str:
    """A histogram's series name mapped to its family (`_bucket`, `_sum`, `_count` stripped)."""
    return re.sub(r"_(bucket|sum|count)$", "", name)
