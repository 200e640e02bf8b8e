"""Inline SVG charts for the incident page: production's verdict over time, and sync lag with the
expected data loss against the RPO limit. Pure functions from the incident document to SVG text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

WIDTH, LEFT, RIGHT = 960, 70, 10
COLOURS = {"up": "#2e7d32", "down": "#c62828", "unknown": "#9e9e9e"}


class Scale:
    """Time to x: the window [t0, t1] onto the plot's width (a zero-length window is one pixel wide)."""

    def __init__(self, t0: datetime, t1: datetime) -> None:
        self.t0 = t0
        self.span = max((t1 - t0).total_seconds(), 1e-6)

    def x(self, at: str | datetime) -> float:
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
        frac = min(max((when - self.t0).total_seconds() / self.span, 0.0), 1.0)
        return round(LEFT + frac * (WIDTH - LEFT - RIGHT), 1)


def _svg(kind: str, title: str, height: int, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _ends(rounds: Sequence[dict[str, Any]], t1: datetime) -> list[str]:
    """Where each row's span ends: the next row's start, the window's end for the last."""
    return [r["at"] for r in rounds[1:]] + [t1.isoformat()] if rounds else []


def _marks(scale: Scale, marks: Sequence[tuple[str, str]], height: int) -> list[str]:
    out = []
    for n, (label, at) in enumerate(marks):
        x = scale.x(at)
        out.append(
            f'<line class="mark" x1="{x}" y1="0" x2="{x}" y2="{height}" '
            'stroke="#1565c0" stroke-dasharray="4 3"/>'
        )
        if n == 0 or label != marks[n - 1][0]:  # one label for a failover's steps, close together
            out.append(f'<text x="{x + 3}" y="10" font-size="10" fill="#1565c0">{escape(label)}</text>')
    return out


def status_band(
    rounds: Sequence[dict[str, Any]], scale: Scale, t1: datetime, marks: Sequence[tuple[str, str]]
) -> str:
    """Production's round verdict as coloured spans, failover steps as dashed lines."""
    height = 70
    body = ['<text x="4" y="42" font-size="12">production</text>']
    for row, end in zip(rounds, _ends(rounds, t1), strict=True):
        x0, x1 = scale.x(row["at"]), scale.x(end)
        colour = COLOURS.get(row["verdict"], COLOURS["unknown"])
        body.append(
            f'<rect class="span {escape(row["verdict"])}" x="{x0}" y="20" width="{max(x1 - x0, 1.0)}" '
            f'height="36" fill="{colour}"><title>{escape(row["at"])}: {escape(row["verdict"])}</title></rect>'
        )
    return _svg("production", "production verdict over time", height, body + _marks(scale, marks, height))


def _polyline(kind: str, points: list[tuple[float, float]], colour: str) -> str:
    text = " ".join(f"{x},{y}" for x, y in points)
    return f'<polyline class="{kind}" fill="none" stroke="{colour}" stroke-width="2" points="{text}"/>'


def loss_chart(rounds: Sequence[dict[str, Any]], scale: Scale, marks: Sequence[tuple[str, str]]) -> str:
    """Sync lag (grey) and expected data loss (red) in seconds, the RPO limit as a dashed line."""
    height, top, bottom = 220, 15, 195
    limit = max((r["rpo_limit_seconds"] or 0.0 for r in rounds), default=0.0)
    values = [
        v for r in rounds for v in (r["sync_lag_seconds"], r["expected_data_loss_seconds"]) if v is not None
    ]
    ymax = float(max([limit, *values, 1.0])) * 1.1

    def y(v: float) -> float:
        return round(bottom - (max(v, 0.0) / ymax) * (bottom - top), 1)

    lag, loss = [], []
    for row in rounds:
        for at in (row["at"], row["last_at"]) if row["rounds"] > 1 else (row["at"],):
            if row["sync_lag_seconds"] is not None:
                lag.append((scale.x(at), y(row["sync_lag_seconds"])))
            if row["expected_data_loss_seconds"] is not None:
                loss.append((scale.x(at), y(row["expected_data_loss_seconds"])))
    body = [
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#444"/>',
        f'<text x="4" y="{top + 4}" font-size="10">{ymax:.0f} s</text>',
        f'<text x="4" y="{bottom}" font-size="10">0 s</text>',
        f'<line class="rpo-limit" x1="{LEFT}" y1="{y(limit)}" x2="{WIDTH - RIGHT}" y2="{y(limit)}" '
        'stroke="#e65100" stroke-dasharray="6 4"/>',
        f'<text x="{LEFT + 4}" y="{y(limit) - 4}" font-size="10" fill="#e65100">'
        f"RPO limit {limit:.0f} s</text>",
        _polyline("sync-lag", lag, "#616161"),
        _polyline("expected-data-loss", loss, "#c62828"),
    ]
    return _svg(
        "data-loss",
        "sync lag and expected data loss against the RPO limit",
        height,
        body + _marks(scale, marks, height),
    )
