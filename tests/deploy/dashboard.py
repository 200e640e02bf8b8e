"""Read the Grafana dashboard's panels and queries, with Grafana's variables substituted for promtool."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.deploy.tools import REPO

DASHBOARD = REPO / "deploy" / "grafana" / "dr-watchdog.json"

# What Grafana would put in place of its variables, so that each query is plain PromQL.
SUBSTITUTIONS = {
    "${pair:regex}": ".*",
    "$__rate_interval": "1m",
    "$__interval": "30s",
    "$__range": "6h",
    "$pair": "sales-dw|hr-dw",
}


def load() -> dict[str, Any]:
    """The dashboard JSON."""
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels(dash: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    out: list[dict[str, Any]] = []
    for panel in dash["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def queries(dash: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) for every panel target and annotation query."""
    found = [
        (f"panel {p['title']!r} {t['refId']}", t["expr"]) for p in panels(dash) for t in p.get("targets", [])
    ]
    found += [(f"annotation {a['name']!r}", a["expr"]) for a in dash["annotations"]["list"] if "expr" in a]
    return found


def substitute(expr: str) -> str:
    """The expression with every Grafana variable replaced; fails loudly on one left over."""
    for var, value in SUBSTITUTIONS.items():
        expr = expr.replace(var, value)
    leftover = re.findall(r"\$\{?\w+", expr)
    if leftover:
        raise AssertionError(f"unsubstituted Grafana variables {leftover} in {expr}")
    return expr
