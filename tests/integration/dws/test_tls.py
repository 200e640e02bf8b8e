"""TLS: verification is on by default, a CA bundle path is honoured, and a failed handshake is typed.

A real HTTPS listener on 127.0.0.1 with a self-signed certificate made by the openssl command.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.dws.support import reply_json, run_client, serving
from watchdog.dws import errors
from watchdog.dws.client import RetryPolicy


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        reply_json(self, {"disaster_recovery": [{"id": "d1", "status": "running"}]})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(https URL, CA file) of a loopback HTTPS server whose self-signed certificate names 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    command += ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as port:
        yield f"https://127.0.0.1:{port}", cert


ONCE = RetryPolicy(attempts=1)


def test_verification_is_on_by_default(tls_server: tuple[str, Path]) -> None:
    """An unknown self-signed certificate is refused by default: UnreachableError naming the TLS failure."""
    url, _ = tls_server
    with pytest.raises(errors.UnreachableError, match="CERTIFICATE_VERIFY_FAILED"):
        run_client(url, lambda c: c.list_disaster_recoveries(), retry=ONCE)


def test_ca_bundle_path_is_trusted(tls_server: tuple[str, Path]) -> None:
    """With the server's CA given as a bundle path, the same endpoint is trusted and answers."""
    url, ca = tls_server
    items = run_client(url, lambda c: c.list_disaster_recoveries(), verify=str(ca), retry=ONCE)
    assert [i.id for i in items] == ["d1"]


def test_verification_can_be_turned_off_explicitly(tls_server: tuple[str, Path]) -> None:
    """verify=False (an explicit operator choice) connects without checking the certificate."""
    url, _ = tls_server
    assert len(run_client(url, lambda c: c.list_disaster_recoveries(), verify=False, retry=ONCE)) == 1
