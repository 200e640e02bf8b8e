"""A small fake Kubernetes API server on 127.0.0.1 (a real HTTP server in a thread): GET, POST and PUT
of Leases and ConfigMaps in namespaces, with the API server's optimistic concurrency.

What it keeps of the real one: one global, monotonically increasing `resourceVersion` (a string)
stamped on every write; PUT with a stale `resourceVersion` is 409 Conflict, PUT without one is an
unconditional update, PUT of a missing object is 404; POST of an existing name is 409
AlreadyExists; a missing object is 404 NotFound; every error a `Status` object; a request without
`Authorization: Bearer <token>` is 401. `freeze()` makes it stop answering (requests hang until
`thaw()`), as a partitioned API server does; `before_next_put` lets a test write between a client's
read and its write (the lost race, made certain), `get_barrier` holds GETs until several clients
have read (so they all race on the same version). Not kept: watches, field validation, RBAC, UIDs' use.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

_PATH = re.compile(
    r"^/(?:apis/coordination\.k8s\.io/v1|api/v1)/namespaces/(?P<ns>[^/]+)/(?P<kind>leases|configmaps)"
    r"(?:/(?P<name>[^/?]+))?$"
)
_GROUP = {"leases": "leases.coordination.k8s.io", "configmaps": "configmaps"}


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many clients connecting at once (the default backlog of 5 drops SYNs)
    daemon_threads = True


class KubeApiServer:
    """The fake API server; a context manager (serve in a thread, then shut down)."""

    def __init__(self, token: str = "drw-test-token", tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: (certificate, key) files to serve https with, as the API server does."""
        self.token = token
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (namespace, kind, name)
        self.version = 0
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._http = _Server(("127.0.0.1", 0), _handler(self))
        scheme = "http"
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="fake-kube-api", daemon=True
        )
        self.before_next_put: Callable[[], None] | None = None  # run once, right before the next PUT
        self.get_barrier: threading.Barrier | None = None  # GETs answer only once this many are waiting

    def __enter__(self) -> KubeApiServer:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.thaw()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    def freeze(self) -> None:
        self._running.clear()

    def thaw(self) -> None:
        self._running.set()

    def wait_running(self) -> None:
        self._running.wait()

    def put_as(self, namespace: str, kind: str, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Another client's write: `change` applied to the current object, stored with a new version."""
        with self._lock:
            obj = json.loads(json.dumps(self.objects[(namespace, kind, name)]))
            change(obj)
            self.objects[(namespace, kind, name)] = self._stamp(obj)

    def delete(self, namespace: str, kind: str, name: str) -> None:
        """Another client's DELETE (an operator removing the object)."""
        with self._lock:
            del self.objects[(namespace, kind, name)]

    def get(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            obj = self.objects.get((namespace, kind, name))
            return json.loads(json.dumps(obj)) if obj is not None else None

    def handle(self, method: str, path: str, auth: str, body: Any) -> tuple[int, dict[str, Any]]:
        if auth != f"Bearer {self.token}":
            return 401, status(401, "Unauthorized", "Unauthorized")
        match = _PATH.match(path)
        if match is None:
            return 404, status(404, "NotFound", "the server could not find the requested resource")
        ns, kind, name = match["ns"], match["kind"], match["name"]
        if method == "PUT" and self.before_next_put is not None:
            hook, self.before_next_put = self.before_next_put, None
            hook()  # another writer, between the client's read and its write
        with self._lock:
            if method == "GET" and name:
                return self._get(ns, kind, name)
            if method == "POST" and not name and isinstance(body, dict):
                return self._create(ns, kind, body)
            if method == "PUT" and name and isinstance(body, dict):
                return self._update(ns, kind, name, body)
        return 405, status(405, "MethodNotAllowed", f"{method} {path} is not supported here")

    def _stamp(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        return obj

    def _get(self, ns: str, kind: str, name: str) -> tuple[int, dict[str, Any]]:
        obj = self.objects.get((ns, kind, name))
        if obj is None:
            return 404, status(404, "NotFound", f'{_GROUP[kind]} "{name}" not found')
        return 200, obj

    def _create(self, ns: str, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = str((body.get("metadata") or {}).get("name", ""))
        if not name:
            return 422, status(422, "Invalid", "metadata.name: Required value")
        if (ns, kind, name) in self.objects:
            return 409, status(409, "AlreadyExists", f'{_GROUP[kind]} "{name}" already exists')
        body["metadata"] = {**body["metadata"], "namespace": ns, "uid": f"uid-{self.version + 1}"}
        body["metadata"].pop("resourceVersion", None)
        self.objects[(ns, kind, name)] = self._stamp(body)
        return 201, body

    def _update(self, ns: str, kind: str, name: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        meta = body.get("metadata") or {}
        if meta.get("name") != name:
            return 400, status(400, "BadRequest", "the name of the object does not match the name on the URL")
        current = self.objects.get((ns, kind, name))
        if current is None:
            return 404, status(404, "NotFound", f'{_GROUP[kind]} "{name}" not found')
        wanted = meta.get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            return 409, status(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {_GROUP[kind]} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
            )
        body["metadata"] = {**meta, "namespace": ns, "uid": current["metadata"]["uid"]}
        self.objects[(ns, kind, name)] = self._stamp(body)
        return 200, body


def _handler(api: KubeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            api.wait_running()  # frozen: hang until thawed
            if self.command == "GET" and api.get_barrier is not None:
                api.get_barrier.wait(timeout=5)  # readers that all see the same version
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            code, obj = api.handle(self.command, self.path, self.headers.get("Authorization", ""), body)
            api.requests.append((self.command, self.path, code))
            out = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


def self_signed(directory: Path, name: str = "api") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl), e.g. a cluster's CA bundle."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key
