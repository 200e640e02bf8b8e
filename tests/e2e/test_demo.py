"""`dr-watchdog demo` as a user runs it: no config, no cloud, the whole story, exit 0 within a minute."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.e2e.harness import run_cli

pytestmark = pytest.mark.slow


def test_demo_tells_the_story(tmp_path: Path) -> None:
    """The demo shows probes, decisions with reasons, the failover submitted and completed, the RPO guard
    blocking the stale pair and the metrics address, then a summary; exit 0 in about half a minute."""
    began = time.monotonic()
    result = run_cli("demo", tmp=tmp_path, timeout=90)
    elapsed = time.monotonic() - began
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert elapsed < 60
    for expected in (
        "probe round",
        "decision sales-dw: SUSPECT",
        "decision sales-dw: FAILOVER_WARRANTED (action failover)",
        "sales-dw: failover SUBMITTED",
        "sales-dw: failover COMPLETED",
        "finance-dw: failover BLOCKED by guard(s) data_loss_exceeded",
        "expected data loss",
        "/metrics",
        "sales-dw: state failed_over, failover POSTs seen by the API: 1",
        "finance-dw: state blocked, failover POSTs seen by the API: 0",
    ):
        assert expected in out, f"missing {expected!r} in:\n{out}"
    assert "Traceback" not in result.stderr
    assert "..." not in out and "…" not in out  # reasons wrap at word boundaries, never cut
    (header,) = re.findall(r"(\d+) down rounds \+ (\S+) s confirm", out)
    rounds = set(re.findall(r"confirming: \d+/(\d+) DOWN rounds, \d+/(\S+) s", out))
    assert rounds == {header}, (header, rounds)  # the header says what the rounds count to
