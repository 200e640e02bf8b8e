"""HTTPS: the simulator behind a throw-away certificate, trusted through a CA bundle or not at all."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # type: ignore[import-untyped]
from huaweicloudsdkcore.http.http_config import HttpConfig  # type: ignore[import-untyped]
from huaweicloudsdkdws.v2 import DwsClient, ListDisasterRecoverRequest  # type: ignore[import-untyped]

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    TEST_ACCESS_KEY,
    TEST_PROJECT_ID,
    TEST_SECRET_KEY,
    self_signed_certificate,
    signed_request,
)

LIST = f"/v2/{TEST_PROJECT_ID}/disaster-recoveries"


@pytest.fixture
def tls_server(simulator: Simulator, tmp_path: Path) -> Iterator[tuple[SimulatorServer, str]]:
    """The simulator over HTTPS, and the certificate file that trusts it."""
    cert, key = self_signed_certificate(tmp_path)
    with SimulatorServer(simulator, tls=(cert, key)) as server:
        yield server, cert


def test_https_with_the_certificate_as_ca_bundle(tls_server: tuple[SimulatorServer, str]) -> None:
    """A client given the certificate as its CA bundle gets signed answers over HTTPS."""
    server, cert = tls_server
    assert server.url.startswith("https://127.0.0.1:")
    with httpx.Client(verify=ssl.create_default_context(cafile=cert), timeout=5) as client:
        assert signed_request(server.url, "GET", LIST, client=client).status_code == 200


def test_https_untrusted_by_default(tls_server: tuple[SimulatorServer, str]) -> None:
    """With default verification the self-signed certificate is refused by the client."""
    server, _ = tls_server
    with httpx.Client(timeout=5) as client, pytest.raises(httpx.ConnectError):
        signed_request(server.url, "GET", LIST, client=client)


def test_official_sdk_over_https(tls_server: tuple[SimulatorServer, str]) -> None:
    """The official SDK reaches the HTTPS simulator, verifying it against the given CA file."""
    server, cert = tls_server
    config = HttpConfig.get_default_config()
    config.ssl_ca_cert = cert
    config.timeout = (2, 5)
    creds = BasicCredentials(TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_PROJECT_ID)
    client = (
        DwsClient.new_builder()
        .with_credentials(creds)
        .with_endpoints([server.url])
        .with_http_config(config)
        .build()
    )
    try:
        assert len(client.list_disaster_recover(ListDisasterRecoverRequest()).disaster_recovery) == 1
    finally:
        client.get_http_client().close()
