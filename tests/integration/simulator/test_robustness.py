"""Hypothesis over real HTTP: any request gets an answer with an error body, and signing any query works."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_PROJECT_ID, make_test_simulator, signed_request

SEGMENT = st.text(
    st.characters(codec="utf-8", exclude_characters="/?#%", exclude_categories=["Cc", "Cs"]), max_size=12
)
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Simulator, SimulatorServer, httpx.Client]]:
    """One simulator, server and client for all examples of this module."""
    sim = make_test_simulator()
    with SimulatorServer(sim) as server, httpx.Client(timeout=5) as client:
        yield sim, server, client


@SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    prefix=st.sampled_from(["v1", "v1.0", "v2", "v3", ""]),
    segments=st.lists(SEGMENT, max_size=4),
    authorization=st.one_of(st.none(), PRINTABLE),
    body=st.binary(max_size=64),
)
def test_any_request_gets_a_well_formed_answer(
    world: tuple[Simulator, SimulatorServer, httpx.Client],
    method: str,
    prefix: str,
    segments: list[str],
    authorization: str | None,
    body: bytes,
) -> None:
    """Arbitrary paths, methods, auth headers and bodies get an error body and a request id, never a 5xx."""
    _, server, client = world
    path = "/" + "/".join([prefix, TEST_PROJECT_ID, *segments])
    value = (authorization or "").strip()  # a client cannot send surrounding whitespace in a header
    headers = {"Authorization": value} if value else {}
    resp = client.request(method, server.url + path, headers=headers, content=body)
    assert resp.headers["X-Request-Id"]
    assert resp.status_code < 500
    if resp.status_code >= 400:
        assert set(resp.json()) >= {"error_code", "error_msg"}


@SETTINGS
@given(value=st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20))
def test_any_signed_query_verifies(
    world: tuple[Simulator, SimulatorServer, httpx.Client], value: str
) -> None:
    """A query value of any text, signed by our signer and encoded by httpx, verifies at the gateway."""
    _, server, client = world
    path = f"/v2/{TEST_PROJECT_ID}/disaster-recoveries"
    resp = signed_request(server.url, "GET", path, query=[("id", value)], client=client)
    assert resp.status_code == 200, resp.text
