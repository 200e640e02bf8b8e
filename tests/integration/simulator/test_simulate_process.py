"""`run_simulate` as a real process: banner on stdout, serves the API, stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

from watchdog.simulator.testing import TEST_DR_ID, TEST_PROJECT_ID, TEST_SECRET_KEY, signed_request

CODE = "from watchdog.simulator.cli import run_simulate; raise SystemExit(run_simulate('127.0.0.1:0', None))"


def test_simulate_serves_until_sigterm() -> None:
    """The process prints its URL and AK (never the SK), answers signed calls, and exits 0 on SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CODE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        resp = signed_request(match.group(1), "GET", f"/v2/{TEST_PROJECT_ID}/disaster-recovery/{TEST_DR_ID}")
        assert resp.json()["disaster_recovery"]["name"] == "sales-dw"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        out = proc.stdout.read()  # not communicate(): it would skip what readline() buffered
        assert proc.stderr is not None
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 0
    banner = first + out
    assert "SIMTESTAK00000000001" in banner
    assert TEST_SECRET_KEY not in banner + err
    assert "simulator stopped" in out
