"""One connection pool per DwsClient, reused across probe rounds: measured as TCP connections on a real
loopback server that records the client port of every request it answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.dws.support import reply_json, run_client, serving
from watchdog.dws.client import DwsClient

BODY = {"disaster_recovery": [{"id": "d1", "status": "running"}], "clusters": []}


class _PortServer(ThreadingHTTPServer):
    daemon_threads = True
    ports: list[int]


class _Handler(BaseHTTPRequestHandler):
    """Answers every GET with a body both list parsers accept, over a kept-alive HTTP/1.1 connection."""

    protocol_version = "HTTP/1.1"
    server: _PortServer

    def do_GET(self) -> None:
        self.server.ports.append(self.client_address[1])
        reply_json(self, BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def port_server() -> Iterator[tuple[str, list[int]]]:
    """(URL, client ports seen, one per request) of a loopback HTTP/1.1 server."""
    server = _PortServer(("127.0.0.1", 0), _Handler)
    server.ports = []
    with serving(server) as port:
        yield f"http://127.0.0.1:{port}", server.ports


async def _rounds(client: DwsClient, count: int = 3) -> None:
    """What the prober does each round: the DR list and the cluster list, then wait for the next round."""
    for _ in range(count):
        await client.list_disaster_recoveries()
        await client.list_clusters()
        await asyncio.sleep(0.05)


def test_rounds_reuse_one_connection(port_server: tuple[str, list[int]]) -> None:
    """Three rounds (six calls) through one DwsClient travel over a single kept-alive TCP connection."""
    url, ports = port_server
    run_client(url, _rounds)
    assert len(ports) == 6
    assert len(set(ports)) == 1


def test_separate_clients_do_not_share_a_pool(port_server: tuple[str, list[int]]) -> None:
    """Two DwsClients open two connections: the measure above would catch a client per call."""
    url, ports = port_server
    run_client(url, lambda c: _rounds(c, 1))
    run_client(url, lambda c: _rounds(c, 1))
    assert len(ports) == 4
    assert len(set(ports)) == 2
