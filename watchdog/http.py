"""The HTTP face: /metrics, /healthz, /readyz and /status on the configured address.

A standard-library threaded server, deliberately outside the asyncio loop: if the loop stalls, this
server still answers, and /healthz says 503 instead of hanging (the liveness probe then restarts us).
The daemon hands in three callables; this module knows nothing of the journal or the scheduler.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest

from watchdog.settings import parse_listen

log = logging.getLogger(__name__)
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Health:
    """A probe answer: ok or not, and one line saying why."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class Endpoints:
    """What the server serves; each callable is called from a server thread, so it must be thread-safe."""

    registry: CollectorRegistry
    healthz: Callable[[], Health]
    readyz: Callable[[], Health]
    status: Callable[[], dict[str, Any]]
    exposition: Callable[[], bytes] | None = None  # Metrics.exposition: rendered once per round


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        routes: dict[str, Callable[[], None]] = {
            "/metrics": self._metrics,
            "/healthz": lambda: self._health(self.server.endpoints.healthz()),
            "/readyz": lambda: self._health(self.server.endpoints.readyz()),
            "/status": self._status,
        }
        route = routes.get(path)
        if route is None:
            self._send(404, b"not found: try /metrics /healthz /readyz /status\n", "text/plain")
            return
        try:
            route()
        except Exception:  # a broken status read must not kill the listener
            log.exception("http handler failed", extra={"path": path})
            self._send(500, b"internal error\n", "text/plain")

    def _metrics(self) -> None:
        endpoints = self.server.endpoints
        body = endpoints.exposition() if endpoints.exposition else generate_latest(endpoints.registry)
        self._send(200, body, METRICS_CONTENT_TYPE)

    def _health(self, health: Health) -> None:
        self._send(200 if health.ok else 503, (health.detail + "\n").encode(), "text/plain; charset=utf-8")

    def _status(self) -> None:
        body = json.dumps(self.server.endpoints.status(), indent=2, default=str).encode()
        self._send(200, body + b"\n", "application/json")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would drown the log: request lines are not logged."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        super().__init__(address, _Handler)


class HttpServer:
    """Serves the endpoints from a background thread; `start()` binds (errors surface at once), `stop()`."""

    def __init__(self, listen: str, endpoints: Endpoints) -> None:
        self._address = parse_listen(listen)
        self._endpoints = endpoints
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = _Server(self._address, self._endpoints)
        self._thread = threading.Thread(target=self._server.serve_forever, name="drw-http", daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the port is the real one when 0 was configured."""
        if self._server is None:
            raise RuntimeError("not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
