"""The incident document as one self-contained HTML page: inline CSS and SVG, no script, no font,
nothing fetched. Every value from the journal is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from watchdog.incident.charts import Scale, loss_chart, status_band

CSS = """
body{font-family:sans-serif;margin:24px;color:#212121;max-width:1000px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
ol#decisions{font-size:13px;padding-left:22px}li.decision{margin:4px 0}
.down{color:#c62828}.up{color:#2e7d32}.unknown{color:#757575}.reasons{color:#555}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:2px 14px;font-size:14px}
"""


HOOK_HEADS = ("hook", "program", "started", "took", "exit", "timed out", "vetoed")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
    return escape(str(value))


def _table(table_id: str, heads: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return f'<p id="{table_id}" class="empty">none in this window</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _summary(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    window = s["unsynced_window"]
    items = [
        ("window", f"{doc['since'] or 'journal start'} to {doc['until'] or doc['generated_at']}"),
        ("rounds", s["rounds"]),
        ("DOWN rounds", s["down_rounds"]),
        ("first DOWN round", s["first_down_at"]),
        ("failovers", s["failovers"]),
        (
            "data never synced",
            f"{window['start']} to {window['end']} ({_text(window['seconds'])})" if window else None,
        ),
    ]
    cells = "".join(f"<dt>{escape(k)}</dt><dd>{_text(v)}</dd>" for k, v in items)
    return f'<dl class="summary" id="summary">{cells}</dl>'


def _decision(row: dict[str, Any]) -> str:
    runs = f" ×{row['rounds']} rounds to {escape(row['last_at'])}" if row["rounds"] > 1 else ""
    reasons = "; ".join(f"{escape(r['code'])}: {escape(r['message'])}" for r in row["reasons"])
    signals = ", ".join(f"{escape(s['source'])} {escape(s['verdict'])}" for s in row["signals"])
    return (
        f'<li class="decision" data-state="{escape(row["state"])}" data-action="{escape(row["action"])}">'
        f"<b>{escape(row['at'])}</b>{runs}: "
        f'<span class="{escape(row["verdict"])}">{escape(row["verdict"])}</span> '
        f"→ <b>{escape(row['state'])}</b> ({escape(row['action'])})"
        f'<div class="reasons">{reasons}</div><div class="signals">{signals}</div></li>'
    )


def _window(doc: dict[str, Any]) -> tuple[datetime, datetime]:
    times = [r["at"] for r in doc["rounds"]] + [r["last_at"] for r in doc["rounds"]]
    times += [s["at"] for i in doc["failovers"] for s in i["steps"]]
    t0 = doc["since"] or min(times, default=doc["generated_at"])
    t1 = doc["until"] or max(times, default=doc["generated_at"])
    return datetime.fromisoformat(t0), datetime.fromisoformat(t1)


def render(doc: dict[str, Any]) -> str:
    """The page for an incident document from `collect`."""
    t0, t1 = _window(doc)
    scale = Scale(t0, t1)
    marks = [(f"failover {i['id']}", s["at"]) for i in doc["failovers"] for s in i["steps"][:3]]
    steps = [
        (i["id"], s["step"], s["at"], i["requested_by"], i["status"])
        for i in doc["failovers"]
        for s in i["steps"]
    ]
    hooks = [
        (
            h["hook"],
            h["program"],
            h["started_at"],
            h["duration_seconds"],
            h["exit_code"],
            h["timed_out"],
            h["vetoed"],
        )
        for h in doc["hook_runs"]
    ]
    acts = [(a["at"], a["action"], a["who"], a["why"]) for a in doc["operator_actions"]]
    pair = escape(doc["pair"])
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Incident report: {pair}</title>'
        f"<style>{CSS}</style></head><body>"
        f"<h1>Incident report: {pair}</h1>"
        f"<p>generated {escape(doc['generated_at'])} by dr-watchdog from its journal</p>"
        f"<h2>Summary</h2>{_summary(doc)}"
        f"<h2>Production</h2>{status_band(doc['rounds'], scale, t1, marks)}"
        f"<h2>Sync lag and expected data loss</h2>{loss_chart(doc['rounds'], scale, marks)}"
        f"<h2>Failover steps</h2>{_table('failover-steps', ['intent', 'step', 'at', 'by', 'outcome'], steps)}"
        f"<h2>Hook runs</h2>{_table('hook-runs', HOOK_HEADS, hooks)}"
        f"<h2>Operator actions</h2>{_table('operator-actions', ['at', 'action', 'who', 'why'], acts)}"
        f'<h2>Decisions</h2><ol id="decisions">{"".join(_decision(r) for r in doc["rounds"])}</ol>'
        "</body></html>\n"
    )
