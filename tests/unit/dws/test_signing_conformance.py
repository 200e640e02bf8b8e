"""Our SDK-HMAC-SHA256 signer against the official SDK signer (huaweicloudsdkcore), offline.

The SDK is the reference: if both produce the same Authorization header for the same request, the
real API gateway accepts what we send. The date is pinned so both sides sign the same instant.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # type: ignore[import-untyped]
from huaweicloudsdkcore.sdk_request import SdkRequest  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from watchdog.clock import FakeClock
from watchdog.dws.client import DwsClient
from watchdog.dws.signing import Credentials, QueryValue, parse_authorization, sign_request, verify_signature

AK = "HPUAEXAMPLEAK0000001"
SK = "exampleSecretKey0000000000000000000000000"
TOKEN = "temporary-security-token-0001"
PROJECT = "0123456789abcdef0123456789abcdef"
DR_ID = "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"
DATE = "20240102T030405Z"
HOST = "dws.cn-north-4.myhuaweicloud.com"
JSON = {"Content-Type": "application/json", "X-Sdk-Date": DATE}


def sdk_headers(
    method: str,
    host: str,
    path: str,
    query: list[tuple[str, Any]],
    headers: dict[str, str],
    body: bytes | None,
    token: str | None = None,
) -> dict[str, str]:
    """The headers the official SDK's BasicCredentials.sign_request produces."""
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        query_params=copy.deepcopy(query),
        header_params=dict(headers),
        body=body,
    )
    creds = BasicCredentials(AK, SK, PROJECT)
    if token:
        creds = creds.with_security_token(token)
    signed: dict[str, str] = creds.sign_request(request).header_params
    return signed


def our_headers(
    method: str,
    host: str,
    path: str,
    query: list[tuple[str, QueryValue]],
    headers: dict[str, str],
    body: bytes | None,
    token: str | None = None,
) -> dict[str, str]:
    return sign_request(
        Credentials(AK, SK, token),
        method,
        host,
        path,
        copy.deepcopy(query),
        headers,
        body,
        project_id=PROJECT,
    )


CASES: list[tuple[str, str, str, list[tuple[str, Any]], dict[str, str], bytes | None, str | None]] = [
    ("POST", HOST, f"/v2/{PROJECT}/disaster-recovery/{DR_ID}/failover", [], JSON, None, None),
    ("GET", HOST, f"/v2/{PROJECT}/disaster-recoveries", [], JSON, None, None),
    ("GET", HOST, f"/v1/{PROJECT}/disaster-recovery/{DR_ID}/show-progress", [], JSON, None, None),
    ("GET", f"{HOST}:8443", f"/v1.0/{PROJECT}/clusters", [], JSON, None, None),
    (
        "GET",
        "127.0.0.1:18080",
        f"/v1.0/{PROJECT}/clusters",
        [("enterprise_project_id", "0")],
        JSON,
        None,
        None,
    ),
    (
        "GET",
        HOST,
        f"/v2/{PROJECT}/disaster-recoveries",
        [("id", DR_ID), ("primary_cluster_id", "a b/c&d=e"), ("x", "ü€")],
        JSON,
        None,
        None,
    ),
    ("GET", HOST, "/v2/p/check-name", [("flag", True), ("off", False), ("n", 3)], JSON, None, None),
    ("GET", HOST, "/v2/p/list", [("ids", ["b", "a", "c d"]), ("a", "1")], JSON, None, None),
    ("GET", HOST, f"/v2/{PROJECT}/disaster-recoveries", [("id", DR_ID)], JSON, None, TOKEN),
    ("POST", f"{HOST}:443", f"/v2/{PROJECT}/disaster-recovery/{DR_ID}/failover", [], JSON, None, TOKEN),
    (
        "PUT",
        HOST,
        f"/v2/{PROJECT}/disaster-recovery/{DR_ID}",
        [],
        {"Content-Type": "application/json;charset=utf-8", "X-Sdk-Date": DATE},
        b'{"disaster_recovery":{"dr_sync_period":"3H","send_request":0}}',
        None,
    ),
    (
        "POST",
        HOST,
        f"/v2/{PROJECT}/disaster-recoveries",
        [],
        JSON,
        '{"disaster_recovery":{"name":"dr-ü"}}'.encode(),
        TOKEN,
    ),
    ("POST", HOST, "/v2/p/upload", [], {"Content-Type": "text/plain", "X-Sdk-Date": DATE}, b"raw", None),
    ("GET", HOST, "/v2/p/a%20b/c", [], {**JSON, "X_Custom": "skipped", "User-Agent": "ua"}, None, None),
]


def test_signers_agree_on_documented_cases() -> None:
    """Across methods, queries (encoding, booleans, lists), bodies, tokens and ports, both signers match."""
    for method, host, path, query, headers, body, token in CASES:
        ours = our_headers(method, host, path, query, headers, body, token)
        theirs = sdk_headers(method, host, path, query, headers, body, token)
        assert ours["Authorization"] == theirs["Authorization"], (method, host, path, query)
        assert ours == {k: v for k, v in theirs.items()}, path


def test_temporary_credentials_sign_the_security_token() -> None:
    """With a security token, X-Security-Token is sent and is among the signed headers, as the SDK does."""
    headers = our_headers("GET", HOST, f"/v2/{PROJECT}/disaster-recoveries", [], JSON, None, TOKEN)
    assert headers["X-Security-Token"] == TOKEN
    assert "x-security-token" in headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]


segment = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/"), max_size=12)
query_value = st.one_of(
    st.text(max_size=10),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.lists(st.text(max_size=6), max_size=3),
    st.lists(st.integers(min_value=0, max_value=10**4), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    segments=st.lists(segment, min_size=1, max_size=5),
    trailing=st.booleans(),
    query=st.dictionaries(st.text(min_size=1, max_size=8), query_value, max_size=4),
    body=st.one_of(st.none(), st.binary(max_size=64)),
    port=st.one_of(st.none(), st.integers(min_value=1, max_value=65535)),
    token=st.one_of(st.none(), st.text(alphabet="abcdefXYZ0123-", min_size=1, max_size=20)),
)
def test_signers_agree_on_random_requests(
    method: str,
    segments: list[str],
    trailing: bool,
    query: dict[str, Any],
    body: bytes | None,
    port: int | None,
    token: str | None,
) -> None:
    """For random paths, queries, bodies, ports and tokens, our Authorization equals the SDK's."""
    path = "/" + "/".join(segments) + ("/" if trailing else "")
    host = HOST if port is None else f"{HOST}:{port}"
    pairs = list(query.items())
    ours = our_headers(method, host, path, pairs, JSON, body, token)
    theirs = sdk_headers(method, host, path, pairs, JSON, body, token)
    assert ours["Authorization"] == theirs["Authorization"]


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.one_of(
        st.lists(st.tuples(st.sampled_from(["a", "b", "id"]), st.text(max_size=5)), max_size=6),
        st.lists(st.tuples(st.sampled_from(["a", "b", "id"]), st.integers(-50, 50)), max_size=6),
    )
)
def test_signers_agree_on_repeated_query_keys(pairs: list[tuple[str, Any]]) -> None:
    """Repeated keys are ordered as the SDK orders them (natively: 9 before 10), not as text."""
    ours = our_headers("GET", HOST, "/v2/p/x", pairs, JSON, None)
    theirs = sdk_headers("GET", HOST, "/v2/p/x", pairs, JSON, None)
    assert ours["Authorization"] == theirs["Authorization"]


def test_client_requests_carry_a_valid_signature() -> None:
    """Every request DwsClient sends (captured at the transport seam) verifies with the secret key."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json={"disaster_recovery": {"id": DR_ID}})
        return httpx.Response(200, json={"disaster_recovery": [], "clusters": []})

    async def run() -> None:
        async with DwsClient(
            f"https://{HOST}:8443",
            PROJECT,
            Credentials(AK, SK, TOKEN),
            transport=httpx.MockTransport(handler),
            clock=FakeClock(),
        ) as client:
            await client.list_disaster_recoveries()
            await client.list_clusters()
            await client.failover(DR_ID)

    asyncio.run(run())
    assert len(seen) == 3
    for request in seen:
        auth = parse_authorization(request.headers["Authorization"])
        assert auth is not None
        assert auth.access_key == AK
        assert set(auth.signed_headers) >= {
            "content-type",
            "host",
            "x-project-id",
            "x-sdk-date",
            "x-security-token",
        }
        assert request.headers["Host"] == f"{HOST}:8443"
        assert request.headers["Content-Type"] == "application/json"
        url = urlsplit(str(request.url))
        query = parse_qsl(url.query)
        assert verify_signature(
            SK, auth, request.method, url.path, query, dict(request.headers), request.content
        )
        assert not verify_signature(
            "wrong" + SK, auth, request.method, url.path, query, dict(request.headers), None
        )
