"""The daemon's faces in isolation: log redaction, the HTTP endpoints over real HTTP, metric exposition."""

from __future__ import annotations

import io
import json
import logging
import math
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from watchdog.http import Endpoints, Health, HttpServer
from watchdog.logs import setup_logging
from watchdog.metrics import DECISION_STATES, MODES, Metrics
from watchdog.model import Mode, State

SECRET = "faces-test-secret-000000000001"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_log_redacts_secrets_everywhere(restore_logging: None) -> None:
    """A secret in the message, an extra field or a traceback is replaced before the line is written."""
    stream = io.StringIO()
    setup_logging("json", "INFO", [SECRET], stream)
    logger = logging.getLogger("watchdog.test")
    logger.info("key is %s", SECRET, extra={"detail": f"sk={SECRET}"})
    try:
        raise ValueError(SECRET)
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    assert SECRET not in text
    first = json.loads(text.splitlines()[0])
    assert first["message"] == "key is ***" and first["detail"] == "sk=***"


def test_text_log_format(restore_logging: None) -> None:
    """--log-format text writes one readable line with key=value fields, redacted too."""
    stream = io.StringIO()
    setup_logging("text", "INFO", [SECRET], stream)
    logging.getLogger("watchdog.test").warning("hello %s", SECRET, extra={"pair": "sales-dw"})
    line = stream.getvalue().strip()
    assert "warning" in line and "hello ***" in line and "pair=sales-dw" in line


def test_http_endpoints_over_real_http() -> None:
    """/metrics is the text format, /healthz and /readyz follow their callables, /status is JSON."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, pairs=["p1"])
    health = {"ok": True}
    endpoints = Endpoints(
        registry=registry,
        healthz=lambda: Health(health["ok"], "ok" if health["ok"] else "stalled"),
        readyz=lambda: Health(False, "waiting"),
        status=lambda: {"pairs": [{"name": "p1"}]},
    )
    server = HttpServer("127.0.0.1:0", endpoints)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            m = client.get("/metrics")
            assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain; version=0.0.4")
            assert 'dr_watchdog_decision{decision="unknown",pair="p1"} 1.0' in m.text
            assert client.get("/healthz").status_code == 200
            health["ok"] = False
            assert client.get("/healthz").status_code == 503
            assert client.get("/readyz").status_code == 503
            assert client.get("/status").json() == {"pairs": [{"name": "p1"}]}
            assert client.get("/nope").status_code == 404
    finally:
        server.stop()
    assert metrics.registry is registry


def test_metric_label_sets_exist_at_start() -> None:
    """Per-pair series exist before the first round: decision state set, failovers at 0, NaN production."""
    registry = CollectorRegistry()
    Metrics(registry, pairs=["p1"], process_collectors=False)
    assert registry.get_sample_value("dr_watchdog_decision", {"pair": "p1", "decision": "unknown"}) == 1
    assert (
        registry.get_sample_value("dr_watchdog_failovers_total", {"pair": "p1", "result": "submitted"}) == 0
    )
    up = registry.get_sample_value("dr_watchdog_production_up", {"pair": "p1"})
    assert up is not None and math.isnan(up)
    assert (
        registry.get_sample_value("dr_watchdog_build_info", {"version": __import__("watchdog").__version__})
        == 1
    )


def test_decision_states_match_the_model() -> None:
    """The metric's state set is exactly the model's State values (they are label values)."""
    assert set(DECISION_STATES) == {s.value for s in State}
    assert set(MODES) == {m.value for m in Mode}


def test_api_observer_counts_calls() -> None:
    """The DWS client observer counts a call by operation and code and times it."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, process_collectors=False)
    metrics.api_observer("list_clusters", "503", 0.2)
    assert (
        registry.get_sample_value(
            "dr_watchdog_api_requests_total", {"operation": "list_clusters", "code": "503"}
        )
        == 1
    )
    count = registry.get_sample_value(
        "dr_watchdog_api_request_duration_seconds_count", {"operation": "list_clusters"}
    )
    assert count == 1


def test_promtool_accepts_exposition(require_promtool: str) -> None:
    """promtool check metrics is clean on the full exposition, process collector included."""
    metrics = Metrics(CollectorRegistry(), pairs=["p1", "p2"])
    metrics.set_blocked("p1", ["data_loss_exceeded"])
    metrics.api_observer("list_clusters", "200", 0.05)
    result = subprocess.run(
        [require_promtool, "check", "metrics"], input=metrics.render(), capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def require_promtool() -> str:
    """promtool's path; on a machine without it the test fails (CI installs it via `make tools`)."""
    path = shutil.which("promtool")
    assert path is not None, "promtool is missing: run `make tools` (Debian's prometheus package)"
    return path
