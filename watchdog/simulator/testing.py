"""Well-known test and demo credentials, and the ready-made simulator the pytest fixtures use.

These keys exist only inside the simulator; they are public on purpose (like the SDK's documented
example keys) and must never be configured against a real cloud.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from watchdog.dws.signing import Credentials, sign_request
from watchdog.simulator.core import Simulator

TEST_PROJECT_ID = "0123456789abcdef0123456789abcdef"
TEST_ACCESS_KEY = "SIMTESTAK00000000001"
TEST_SECRET_KEY = "simulatorTestSecretKey0000000000000000001"
TEST_CREDENTIALS = Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY)

TEST_TEMP_ACCESS_KEY = "SIMTESTTEMPAK0000001"
TEST_TEMP_SECRET_KEY = "simulatorTempSecretKey0000000000000000001"
TEST_SECURITY_TOKEN = "simulator-security-token-0001"
TEST_TEMP_CREDENTIALS = Credentials(TEST_TEMP_ACCESS_KEY, TEST_TEMP_SECRET_KEY, TEST_SECURITY_TOKEN)

TEST_TOKEN = "simulator-iam-token-0001"

OTHER_PROJECT_ID = "fedcba9876543210fedcba9876543210"
OTHER_ACCESS_KEY = "SIMTESTAK00000000002"
OTHER_SECRET_KEY = "simulatorTestSecretKey0000000000000000002"
OTHER_CREDENTIALS = Credentials(OTHER_ACCESS_KEY, OTHER_SECRET_KEY)

TEST_DR_ID = "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"
TEST_PAIR_NAME = "sales-dw"

# Fast timings for tests: a sync every 2 s (virtual), switches in about a second.
FAST_TIMING: dict[str, Any] = {
    "sync_interval_seconds": 2.0,
    "sync_duration_seconds": 1.0,
    "abnormal_delay_seconds": 2.0,
    "switchover_seconds": 1.0,
    "failover_seconds": 1.0,
    "promote_seconds": 0.5,
    "recovery_seconds": 1.0,
    "start_seconds": 0.5,
    "pause_seconds": 0.5,
    "delete_seconds": 0.5,
}


def add_test_credentials(sim: Simulator) -> None:
    """Register every well-known credential: AK/SK, temporary AK/SK/token, IAM token, second project."""
    sim.add_credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_PROJECT_ID)
    sim.add_credentials(TEST_TEMP_ACCESS_KEY, TEST_TEMP_SECRET_KEY, TEST_PROJECT_ID, TEST_SECURITY_TOKEN)
    sim.add_token(TEST_TOKEN, TEST_PROJECT_ID)
    sim.add_credentials(OTHER_ACCESS_KEY, OTHER_SECRET_KEY, OTHER_PROJECT_ID)


def make_test_simulator(time_scale: float = 1.0, **pair_options: Any) -> Simulator:
    """One project with the test credentials and one running pair `sales-dw` (id TEST_DR_ID).

    `pair_options` override FAST_TIMING and any other `Simulator.add_pair` argument.
    """
    sim = Simulator(time_scale=time_scale, seed=7)
    add_test_credentials(sim)
    options = {**FAST_TIMING, **pair_options}
    options.setdefault("disaster_recovery_id", TEST_DR_ID)
    sim.add_pair(TEST_PROJECT_ID, TEST_PAIR_NAME, **options)
    return sim


def signed_request(
    base_url: str,
    method: str,
    path: str,
    credentials: Credentials = TEST_CREDENTIALS,
    *,
    project_id: str | None = TEST_PROJECT_ID,
    query: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """One SDK-signed request to the simulator (a plain client for tests that are not about our client)."""
    netloc = urlsplit(base_url).netloc
    base_headers = {"Content-Type": "application/json", **(headers or {})}
    signed = sign_request(
        credentials, method, netloc, path, query or [], base_headers, body, project_id=project_id
    )
    params = tuple(query or ())
    if client is not None:
        return client.request(method, base_url + path, params=params, headers=signed, content=body)
    with httpx.Client(timeout=timeout) as own:
        return own.request(method, base_url + path, params=params, headers=signed, content=body)


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """A throw-away certificate for 127.0.0.1/localhost (openssl CLI): (certificate file, key file).

    The certificate file doubles as the CA bundle a client is given to trust the simulator.
    """
    cert, key = directory / "simulator.crt", directory / "simulator.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return str(cert), str(key)
