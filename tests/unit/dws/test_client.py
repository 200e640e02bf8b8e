"""DwsClient behaviour at the transport seam (httpx.MockTransport) on a fake clock: errors, retries, actions.

The transport is the injection point httpx provides for exactly this; none of our code is patched.
Over-the-wire behaviour against the simulator is in tests/integration/dws/.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import certifi
import httpx
import pytest

from watchdog.clock import FakeClock
from watchdog.dws import errors
from watchdog.dws.client import DwsClient, RetryPolicy, endpoint_for_region
from watchdog.dws.signing import Credentials, TokenCredentials

AK = "AKSECRETISH00000001"
SK = "skVerySecret000000000000000000000000001"
TOKEN = "sts-token-value-0001"
Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """A client on a fake clock whose transport answers from a list of responses or exceptions."""

    def __init__(self, answers: list[Any], *, retry: RetryPolicy | None = None, creds: Any = None) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.observed: list[tuple[str, str, float]] = []
        self.clock = FakeClock()
        self.client = DwsClient(
            "https://dws.cn-north-4.myhuaweicloud.com",
            "0123456789abcdef0123456789abcdef",
            creds or Credentials(AK, SK, TOKEN),
            transport=httpx.MockTransport(self._handle),
            clock=self.clock,
            retry=retry or RetryPolicy(attempts=4, base=0.5, cap=2.0, deadline=30.0),
            observer=lambda op, code, s: self.observed.append((op, code, s)),
        )

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    def run(self, call: Callable[[DwsClient], Awaitable[Any]]) -> Any:
        async def go() -> Any:
            async with self.client:
                return await call(self.client)

        return asyncio.run(go())

    def error(self, call: Callable[[DwsClient], Awaitable[Any]]) -> errors.DwsError:
        with pytest.raises(errors.DwsError) as info:
            self.run(call)
        return info.value


def resp(
    status: int, body: Any = None, headers: dict[str, str] | None = None, text: str | None = None
) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


DR_LIST = {"disaster_recovery": [{"id": "d1", "status": "running"}]}
ACTION_OK = {"disaster_recovery": {"id": "d1"}}


def list_dr(c: DwsClient) -> Awaitable[Any]:
    return c.list_disaster_recoveries()


def failover(c: DwsClient) -> Awaitable[Any]:
    return c.failover("d1")


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (
            401,
            {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"},
            errors.AuthenticationError,
            "APIGW.0301",
        ),
        (
            403,
            {"error_code": "DWS.0015", "error_msg": "cluster does not exist"},
            errors.NotFoundError,
            "DWS.0015",
        ),
        (403, {"errorCode": "IAM.1", "errorMsg": "no permission"}, errors.AuthenticationError, "IAM.1"),
        (
            400,
            {"error_code": "DWS.10101", "error_msg": "DR does not exist"},
            errors.NotFoundError,
            "DWS.10101",
        ),
        (
            404,
            {"error_code": "DWS.0047", "error_msg": "The cluster does not exist."},
            errors.NotFoundError,
            "DWS.0047",
        ),
        (404, {"code": "X", "message": "gone"}, errors.NotFoundError, "X"),
        (400, {"error": {"error_code": "DWS.5065", "error_msg": "bad"}}, errors.RejectedError, "DWS.5065"),
        (409, None, errors.RejectedError, "409"),
        (429, {"error_code": "APIGW.0308", "error_msg": "throttled"}, errors.ThrottledError, "APIGW.0308"),
        (500, {"error_code": "DWS.0047", "error_msg": "odd"}, errors.ServerError, "DWS.0047"),
        (503, None, errors.ServerError, "503"),
    ],
)
def test_error_answers_map_to_typed_errors(
    status: int, body: Any, cls: type[errors.DwsError], code: str
) -> None:
    """Each error answer becomes its typed error with status and code parsed the way the SDK parses them."""
    harness = Harness([resp(status, body, {"X-Request-Id": "req-1"})], retry=RetryPolicy(attempts=1))
    exc = harness.error(list_dr)
    assert type(exc) is cls
    assert (exc.status, exc.error_code, exc.request_id, exc.operation) == (
        status,
        code,
        "req-1",
        "list_disaster_recover",
    )
    assert f"HTTP {status}" in str(exc) and "req-1" in str(exc)


def show_cluster(c: DwsClient) -> Awaitable[Any]:
    return c.show_cluster("c1")


def show_dr(c: DwsClient) -> Awaitable[Any]:
    return c.show_disaster_recovery("d1")


def show_progress(c: DwsClient) -> Awaitable[Any]:
    return c.show_disaster_progress("d1")


CLUSTER_GONE = {"error_code": "DWS.0047", "error_msg": "The cluster does not exist."}
DR_GONE = {"error_code": "DWS.10101", "error_msg": "The DR task does not exist."}


@pytest.mark.parametrize(
    ("call", "answer", "cls"),
    [
        (show_cluster, resp(404, CLUSTER_GONE), errors.ResourceGoneError),
        (show_dr, resp(400, DR_GONE), errors.ResourceGoneError),
        (show_progress, resp(400, DR_GONE), errors.ResourceGoneError),
        (show_dr, resp(404, DR_GONE), errors.ResourceGoneError),
        # any other not-found answer proves nothing about the object
        (
            show_cluster,
            resp(404, {"error_code": "APIGW.0101", "error_msg": "API not exist"}),
            errors.NotFoundError,
        ),
        (
            show_cluster,
            resp(404, text="<html><body><h1>404 Not Found</h1></body></html>"),
            errors.NotFoundError,
        ),
        (show_cluster, resp(404, {"error_code": "DWS.3027", "error_msg": "deleted"}), errors.NotFoundError),
        (show_cluster, resp(400, DR_GONE), errors.NotFoundError),  # a DR code on a cluster read
        (show_dr, resp(404, CLUSTER_GONE), errors.NotFoundError),  # a cluster code on a DR read
        (
            show_dr,
            resp(404, {"error_code": "APIGW.0101", "error_msg": "API not exist"}),
            errors.NotFoundError,
        ),
        (list_dr, resp(400, DR_GONE), errors.NotFoundError),  # a list is no read of one object
        (show_cluster, resp(500, CLUSTER_GONE), errors.ServerError),
    ],
)
def test_only_the_resources_own_code_means_gone(
    call: Callable[[DwsClient], Awaitable[Any]], answer: httpx.Response, cls: type[errors.DwsError]
) -> None:
    """ResourceGoneError only for DWS.0047 on a cluster read and DWS.10101 on a DR task read."""
    harness = Harness([answer], retry=RetryPolicy(attempts=1))
    assert type(harness.error(call)) is cls


def test_non_json_error_body_is_kept_as_the_message() -> None:
    """A gateway's HTML or text error page becomes the message, with the status as the code."""
    exc = Harness([resp(502, text="<html>Bad Gateway</html>")], retry=RetryPolicy(attempts=1)).error(list_dr)
    assert isinstance(exc, errors.ServerError)
    assert exc.error_code == "502" and exc.error_msg == "<html>Bad Gateway</html>"


def test_reads_retry_5xx_then_succeed_with_backoff_on_the_clock() -> None:
    """503, 500, then 200: three attempts, each reported, with jittered exponential pauses on the clock."""
    harness = Harness([resp(503), resp(500), resp(200, DR_LIST)])
    result = harness.run(list_dr)
    assert [r.id for r in result] == ["d1"]
    assert [code for _, code, _ in harness.observed] == ["503", "500", "200"]
    assert 0.25 + 0.5 <= harness.clock.monotonic() <= 0.5 + 1.0  # base 0.5: [0.25,0.5] + [0.5,1.0]


def test_reads_give_up_after_the_attempt_budget() -> None:
    """A persistent 503 is retried `attempts` times and then raised as ServerError."""
    harness = Harness([resp(503)], retry=RetryPolicy(attempts=3, base=0.1, cap=1.0, deadline=60))
    assert isinstance(harness.error(list_dr), errors.ServerError)
    assert len(harness.requests) == 3


def test_reads_stop_retrying_at_the_deadline() -> None:
    """The overall deadline wins over the attempt budget: no attempt starts past it."""
    harness = Harness([resp(503)], retry=RetryPolicy(attempts=50, base=1.0, cap=4.0, deadline=10.0))
    assert isinstance(harness.error(list_dr), errors.ServerError)
    assert harness.clock.monotonic() < 10.0
    assert 3 <= len(harness.requests) < 10


def test_throttling_is_retried_honouring_retry_after() -> None:
    """429 with Retry-After waits at least that long (bounded by the cap), then succeeds."""
    harness = Harness([resp(429, None, {"Retry-After": "1.5"}), resp(200, DR_LIST)])
    harness.run(list_dr)
    assert len(harness.requests) == 2
    assert harness.clock.monotonic() >= 1.5


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_never_retried(status: int) -> None:
    """A 4xx (other than 429) is answered once and raised at once."""
    harness = Harness([resp(status, {"error_code": "X", "error_msg": "no"})])
    harness.error(list_dr)
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    ("failure", "cls", "code"),
    [
        (httpx.ConnectError("refused"), errors.UnreachableError, "unreachable"),
        (httpx.ReadTimeout("slow"), errors.RequestTimeout, "timeout"),
        (httpx.RemoteProtocolError("reset"), errors.UnreachableError, "unreachable"),
    ],
)
def test_transport_failures_on_reads_are_retried_then_typed(
    failure: Exception, cls: type[errors.DwsError], code: str
) -> None:
    """Connection errors and timeouts on reads are retried and then raised as their typed error."""
    harness = Harness([failure], retry=RetryPolicy(attempts=2, base=0.1))
    exc = harness.error(list_dr)
    assert type(exc) is cls and exc.retriable
    assert [c for _, c, _ in harness.observed] == [code, code]
    assert isinstance(exc.__cause__, httpx.TransportError)


@pytest.mark.parametrize(
    ("answer", "observed"),
    [
        (httpx.ReadTimeout("no answer"), "timeout"),
        (httpx.RemoteProtocolError("peer closed"), "unreachable"),
        (httpx.ReadError("reset"), "unreachable"),
        (resp(500, {"error_code": "DWS.0000", "error_msg": "internal"}), "500"),
        (resp(503), "503"),
        (resp(200, text="not json"), "malformed"),
        (resp(200, {"disaster_recovery": {}}), "malformed"),
    ],
)
def test_ambiguous_action_outcomes_are_unknown_and_never_retried(answer: Any, observed: str) -> None:
    """Once the POST may have been sent, a timeout, reset, 5xx or unreadable 200 is OutcomeUnknown."""
    harness = Harness([answer, resp(200, ACTION_OK)])
    exc = harness.error(failover)
    assert isinstance(exc, errors.FailoverOutcomeUnknown) and not exc.retriable
    assert len(harness.requests) == 1
    assert [c for _, c, _ in harness.observed] == [observed]


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (httpx.ConnectError("refused"), errors.UnreachableError),
        (httpx.ConnectTimeout("no route"), errors.UnreachableError),
        (
            resp(400, {"error_code": "DWS.9001", "error_msg": "not allowed in state unstart"}),
            errors.RejectedError,
        ),
        (resp(400, {"error_code": "DWS.10101", "error_msg": "no such DR"}), errors.NotFoundError),
        (resp(429), errors.ThrottledError),
    ],
)
def test_action_failures_before_acceptance_are_definite(answer: Any, cls: type[errors.DwsError]) -> None:
    """A connect failure (nothing sent) or a 4xx refusal is a definite, typed failure, sent once."""
    harness = Harness([answer, resp(200, ACTION_OK)])
    assert type(harness.error(failover)) is cls
    assert len(harness.requests) == 1


def test_actions_post_once_and_return_the_request_id() -> None:
    """failover, switchover and recovery POST to their paths with no body and return the X-Request-Id."""
    harness = Harness([resp(200, ACTION_OK, {"X-Request-Id": "req-9"})])

    async def all_three(c: DwsClient) -> list[str]:
        return [await c.failover("d1"), await c.switchover("d1"), await c.recovery("d1")]

    assert harness.run(all_three) == ["req-9", "req-9", "req-9"]
    assert [(r.method, r.url.path.rsplit("/", 1)[1], r.content) for r in harness.requests] == [
        ("POST", "failover", b""),
        ("POST", "switchover", b""),
        ("POST", "recovery", b""),
    ]


def test_no_secret_in_error_text() -> None:
    """A gateway message echoing the AK, SK or token is scrubbed from the exception's text and fields."""
    body = {"error_code": "APIGW.0301", "error_msg": f"Get secretKey failed,ak:{AK},sk:{SK},token:{TOKEN}"}
    exc = Harness([resp(401, body)]).error(list_dr)
    for secret in (AK, SK, TOKEN):
        assert secret not in str(exc) and secret not in repr(exc) and secret not in (exc.error_msg or "")
    assert "***" in str(exc)


def test_token_credentials_send_x_auth_token_and_no_signature() -> None:
    """Token auth sends X-Auth-Token and X-Project-Id, no Authorization header."""
    harness = Harness([resp(200, DR_LIST)], creds=TokenCredentials("iam-token"))
    harness.run(list_dr)
    headers = harness.requests[0].headers
    assert headers["X-Auth-Token"] == "iam-token"
    assert headers["X-Project-Id"] == "0123456789abcdef0123456789abcdef"
    assert "Authorization" not in headers and headers["Content-Type"] == "application/json"


def test_observer_failure_does_not_break_the_call() -> None:
    """A broken metrics observer is logged and ignored; the call still returns."""

    def broken(op: str, code: str, seconds: float) -> None:
        raise RuntimeError("metrics bug")

    async def go() -> list[Any]:
        async with DwsClient(
            "https://dws.cn-north-4.myhuaweicloud.com",
            "p1",
            Credentials(AK, SK),
            transport=httpx.MockTransport(lambda r: resp(200, DR_LIST)),
            clock=FakeClock(),
            observer=broken,
        ) as client:
            return await client.list_disaster_recoveries()

    assert len(asyncio.run(go())) == 1


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        ("cn-north-4", "https://dws.cn-north-4.myhuaweicloud.com"),
        ("ap-southeast-1", "https://dws.ap-southeast-1.myhuaweicloud.com"),
        ("eu-west-101", "https://dws.eu-west-101.myhuaweicloud.eu"),
        ("cn-south-4", "https://dws.cn-south-4.myhuaweicloud.cn"),
        ("tr-west-1", "https://dws.tr-west-1.myhuaweicloud.cn"),
    ],
)
def test_endpoint_for_region(region: str, endpoint: str) -> None:
    """Regions map to the SDK's endpoints, including the .eu and .cn exceptions."""
    assert endpoint_for_region(region) == endpoint


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"endpoint": "ftp://x"}, "endpoint"),
        ({"endpoint": "https://x/path"}, "endpoint"),
        ({"endpoint": "https://user:pw@x"}, "endpoint"),
        ({"project_id": "a/b"}, "project_id"),
        ({"timeout": 0}, "timeout"),
        ({"verify": "/nonexistent/ca.pem"}, "verify"),
    ],
)
def test_bad_construction_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    """Bad configuration fails at construction with a ValueError naming the field."""
    args: dict[str, Any] = {"endpoint": "https://x", "project_id": "p1", "credentials": Credentials(AK, SK)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"^{field}"):
        DwsClient(**args)
    with pytest.raises(ValueError, match=r"^region"):
        endpoint_for_region("Not A Region")


def test_bad_ids_are_refused_before_any_request() -> None:
    """An id that could change the path is refused with the field named; nothing is sent."""
    harness = Harness([resp(200, ACTION_OK)])
    with pytest.raises(ValueError, match="disaster_recovery_id"):
        harness.run(lambda c: c.failover("../clusters"))
    assert harness.requests == []


def test_ca_bundle_path_is_accepted_and_repr_hides_credentials() -> None:
    """A CA bundle path builds a verifying client; the client's repr names no credential."""

    async def go() -> str:
        async with DwsClient(
            "https://dws.x.test:8443", "p1", Credentials(AK, SK, TOKEN), verify=certifi.where()
        ) as c:
            return repr(c)

    text = asyncio.run(go())
    assert "dws.x.test:8443" in text and AK not in text and SK not in text and TOKEN not in text


@pytest.mark.parametrize(
    "answer",
    [
        resp(
            502, text="<html>\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body>\n</html>\n"
        ),
        resp(400, {"error_code": "DWS.5065", "error_msg": "line one\nline two\u2028line three"}),
        resp(500, {"error_code": "DWS.9999", "error_msg": "boom", "request_id": "req\n-2"}),
    ],
    ids=["html-page", "multi-line-msg", "multi-line-request-id"],
)
def test_error_text_is_one_line(answer: httpx.Response) -> None:
    """A multi-line error page, message or request id is folded: the exception's text is one line."""
    exc = Harness([answer], retry=RetryPolicy(attempts=1)).error(list_dr)
    assert len(str(exc).splitlines()) == 1
    assert len((exc.error_msg or "").splitlines()) <= 1
    assert exc.status == answer.status_code and exc.error_msg


def test_backoff_is_jittered_exponential_and_capped() -> None:
    """The pause doubles per attempt up to the cap, each scaled by a random factor in [0.5, 1]."""
    policy = RetryPolicy(attempts=10, base=0.5, cap=3.0, deadline=60.0)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (8, 3.0)]:
        pauses = {policy.backoff(attempt, random.Random(seed)) for seed in range(50)}
        assert all(ceiling * 0.5 <= p <= ceiling for p in pauses), (attempt, pauses)
        assert len(pauses) > 40  # jittered: many watchdogs do not retry in lockstep
        assert max(pauses) - min(pauses) > ceiling * 0.3
