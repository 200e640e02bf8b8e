"""The simulator's HTTP listener: a stdlib ThreadingHTTPServer in a background thread.

Real HTTP/1.1 on 127.0.0.1 (keep-alive, Content-Length, X-Request-Id on every answer), so clients are
tested through their real transport. Faults that misbehave at the socket level live here: hangs hold
the handler thread until released, resets close the socket with SO_LINGER 0 (a TCP RST).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from watchdog.simulator.api import ApiRequest, ApiResponse, process
from watchdog.simulator.control import CONTROL_PREFIX, handle_control
from watchdog.simulator.core import Simulator
from watchdog.simulator.faults import Fault, FaultKind

MALFORMED_BODY = b'{"disaster_recovery": [{"id": "truncated'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    simulator: Simulator

    def __init__(self, address: tuple[str, int], simulator: Simulator, region: str | None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.simulator = simulator
        self.region = region
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        self.stopping = threading.Event()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that vanish or fail the TLS handshake are normal here, not worth a traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "dws-simulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the simulator keeps its own request log."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, unsupported method) in the API's error shape too."""
        self.close_connection = True
        body = {"error_code": f"APIGW.{code}", "error_msg": message or "Bad request."}
        self._send(code, body, uuid.uuid4().hex)

    def _read_body(self) -> bytes:
        text = self.headers.get("Content-Length") or "0"
        length = int(text) if text.isdigit() else 0
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        request_id = uuid.uuid4().hex
        try:
            self._serve(request_id)
        except OSError:
            self.close_connection = True  # the client went away
        except Exception as exc:  # a simulator bug must answer, not kill the connection silently
            print(f"dws-simulator: internal error on {self.command} {self.path}: {exc!r}", file=sys.stderr)
            self._send(500, {"error_code": "SIM.500", "error_msg": "internal simulator error"}, request_id)

    def _serve(self, request_id: str) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        if parts.path.startswith(CONTROL_PREFIX):
            status, payload = handle_control(
                self.server.simulator, self.command, parts, body, self.client_address[0]
            )
            self._send(status, payload, request_id)
            return
        req = ApiRequest(
            method=self.command,
            path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers={k: v for k, v in self.headers.items()},
            body=body,
            request_id=request_id,
            region=self.server.region,
        )
        resp = process(self.server.simulator, req)
        # Logged before answering, so a client that got its answer always finds the request logged.
        self.server.simulator.log_request(
            method=self.command,
            path=parts.path,
            operation=resp.operation,
            project_id=resp.project_id,
            status=_status_sent(resp),
            request_id=request_id,
            fault=resp.fault.kind.value if resp.fault else None,
            region=self.server.region,
        )
        self._answer(resp, request_id)

    def _answer(self, resp: ApiResponse, request_id: str) -> None:
        """Send the answer, or misbehave as the fault says."""
        fault = resp.fault
        if fault is None:
            self._send(resp.status, resp.payload, request_id)
        elif fault.kind is FaultKind.ERROR:
            self._send(fault.status, fault.body(), request_id)
        elif fault.kind is FaultKind.MALFORMED:
            raw = MALFORMED_BODY if fault.raw_body is None else fault.raw_body.encode("utf-8")
            self._send_raw(200, raw, request_id)
        else:
            if fault.kind is FaultKind.HANG:
                self._hang(fault)
            self._reset()

    def _hang(self, fault: Fault) -> None:
        """Hold the request until the fault is cleared, the server stops, or `fault.seconds` pass."""
        deadline = time.monotonic() + fault.seconds
        while not (fault.release.is_set() or self.server.stopping.is_set()) and time.monotonic() < deadline:
            fault.release.wait(0.05)

    def _reset(self) -> None:
        """Close with a TCP RST: the client sees 'connection reset', not an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _send(self, status: int, payload: Any, request_id: str) -> None:
        raw = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self._send_raw(status, raw, request_id)

    def _send_raw(self, status: int, raw: bytes, request_id: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("X-Request-Id", request_id)
            self.end_headers()
            self.wfile.write(raw)
        except OSError:
            self.close_connection = True


def _status_sent(resp: ApiResponse) -> int:
    """The HTTP status the client will see; 0 when it sees none (hang, reset)."""
    if resp.fault is None:
        return resp.status
    if resp.fault.kind is FaultKind.ERROR:
        return resp.fault.status
    return 200 if resp.fault.kind is FaultKind.MALFORMED else 0


class SimulatorServer:
    """`with SimulatorServer(sim) as server: ... server.url` serves the simulator on loopback."""

    def __init__(
        self,
        simulator: Simulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        region: str | None = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        """`region` labels this listener: faults with that region hit only it (a regional API outage).
        `tls` = (certificate file, key file) serves HTTPS instead of HTTP."""
        self.simulator = simulator
        self.region = region
        self.tls = tls
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), self.simulator, self.region)
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            # the handshake then happens in the handler thread, never blocking the accept loop
            server.socket = context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"dws-simulator-{self.port}"
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, release hanging requests and drop open connections. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
