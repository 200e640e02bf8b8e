"""The DWS client's own error tree: every way a call can fail, as a type the caller can act on.

The watchdog's safety rests on telling "production is down" from "we cannot see production", so the
client never lets an httpx or JSON exception escape: each is wrapped here (``raise ... from``) into a
`DwsError` subclass that says what kind of failure it was, whether a retry may help, and what the
service said (HTTP status, error code and message, request id).

Error texts may be logged, exported and shown in `status`: they are built only from the operation
name, the HTTP status and the service's answer, and every credential the client holds is scrubbed
from them (a gateway message such as "Get secretKey failed,ak:..." echoes the access key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import httpx

REDACTED = "***"
MAX_MESSAGE_CHARS = 300

# Codes the service uses for "this object does not exist", whatever HTTP status carries them
# (dws-api.md section 5): DR task unknown (a 400), cluster unknown (404, on some APIs 401 or 403), deleted.
NOT_FOUND_CODES = frozenset({"DWS.10101", "DWS.0047", "DWS.3027", "DWS.0015"})
# The codes that prove the object of a read is gone, per read (the SDK operation names of client.py):
# only DWS's own "does not exist" code for that very resource. Any other not-found answer (the
# gateway's 404 APIGW.0101 "API does not exist", a proxy's HTML page, another code, a DR code on a
# cluster read) may come from a wrong route or a broken hop, and proves nothing about the object.
GONE_CODES: Mapping[str, frozenset[str]] = {
    "list_cluster_details": frozenset({"DWS.0047"}),
    "show_disaster_detail": frozenset({"DWS.10101"}),
    "show_disaster_progress": frozenset({"DWS.10101"}),
}
THROTTLED_CODES = frozenset({"APIGW.0308"})
AUTH_CODE_PREFIX = "APIGW.03"


def one_line(text: str) -> str:
    """`text` folded onto one line: a gateway's HTML error page or a multi-line message must not
    split a log record or a `status` row."""
    lines = text.splitlines()
    if len(lines) <= 1:
        return text
    return " ".join(part.strip() for part in lines if part.strip())


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret (longest first), fold `text` onto one line, cap its length."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = one_line(text)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + "..."
    return text


class DwsError(Exception):
    """A DWS API call failed. `retriable` says whether repeating the same read may succeed."""

    retriable: ClassVar[bool] = False
    kind: ClassVar[str] = "error"

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        hidden = tuple(secrets)
        self.operation = operation
        self.status = status
        self.error_code = scrub(error_code, hidden) if error_code else None
        self.error_msg = scrub(error_msg, hidden) if error_msg else None
        self.request_id = one_line(request_id) if request_id else request_id
        self.message = scrub(message, hidden)
        super().__init__(self._render())

    def _render(self) -> str:
        """One line: operation, what happened, and the service's own words when it gave any."""
        text = f"{self.operation}: {self.message}"
        if self.status is not None:
            text += f" (HTTP {self.status}"
            if self.error_code:
                text += f" {self.error_code}"
            if self.error_msg:
                text += f": {self.error_msg}"
            text += ")"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class AuthenticationError(DwsError):
    """The gateway refused our credentials (401/403, APIGW.03xx): fix the configuration, do not retry."""

    kind = "authentication"


class NotFoundError(DwsError):
    """A not-found answer: a 404, or a DWS "does not exist" code (DWS.10101 comes as a 400).

    On its own it proves nothing about the object (the gateway answers 404 APIGW.0101 for a path it
    does not route); only its subclass ResourceGoneError does.
    """

    kind = "not_found"


class ResourceGoneError(NotFoundError):
    """DWS itself says the object read does not exist: DWS.0047 on a cluster read, DWS.10101 on a DR
    task read (GONE_CODES). The only not-found answer that is evidence of a deletion."""

    kind = "gone"


class RejectedError(DwsError):
    """Any other 4xx: the request is invalid or not allowed in the object's current state."""

    kind = "rejected"


class ThrottledError(DwsError):
    """429 / APIGW.0308: the gateway throttles us; waiting helps."""

    retriable = True
    kind = "throttled"

    def __init__(self, operation: str, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(operation, message, **kw)


class ServerError(DwsError):
    """5xx: the service failed to answer; a later read may succeed."""

    retriable = True
    kind = "server"


class RequestTimeout(DwsError):
    """No complete answer within the timeout."""

    retriable = True
    kind = "timeout"


class UnreachableError(DwsError):
    """The endpoint could not be reached (DNS, refused, reset, TLS); for an action: nothing was sent."""

    retriable = True
    kind = "unreachable"


class MalformedResponseError(DwsError):
    """The answer is not JSON or not the documented shape: we cannot trust what it says."""

    kind = "malformed"


class FailoverOutcomeUnknown(DwsError):
    """An action POST may have been accepted, but we did not see a clear answer.

    Raised on a timeout or a reset after the request was sent, on a 5xx, or on a 200 whose body we
    cannot read. Never retried: the caller reconciles by reading the DR task, because a second
    failover POST for one outage is the one mistake the watchdog must never make.
    """

    kind = "outcome_unknown"


def error_fields(body: object) -> tuple[str | None, str | None]:
    """Error code and message from a parsed error body, in the order the official SDK looks for them.

    `error_code`+`error_msg`, then `errorCode`+`errorMsg`, then `code`+`message`, then the same
    inside any nested object (the SDK's DefaultExceptionHandler).
    """
    if not isinstance(body, Mapping):
        return None, None
    for code_key, msg_key in (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")):
        if code_key in body and msg_key in body:
            return _text(body[code_key]), _text(body[msg_key])
    for value in body.values():
        if isinstance(value, Mapping):
            code, msg = error_fields(value)
            if code or msg:
                return code, msg
    return None, None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def classify_status(status: int, error_code: str | None, operation: str = "") -> type[DwsError]:
    """The error class for an HTTP error answer to `operation`.

    A 5xx is a server error whatever code it carries (a failing server is no evidence that an object
    is gone); below that, the service's code wins over the status where they disagree. Only the
    resource's own code for the read (GONE_CODES) is ResourceGoneError.
    """
    code = error_code or ""
    if status >= 500:
        return ServerError
    if code in GONE_CODES.get(operation, ()):
        return ResourceGoneError
    if code in NOT_FOUND_CODES:
        return NotFoundError
    if status == 429 or code in THROTTLED_CODES:
        return ThrottledError
    if status in (401, 403) or code.startswith(AUTH_CODE_PREFIX):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    return RejectedError


# ---- wrapping what httpx and the service hand back -------------------------------------------------
_MESSAGES: dict[type[DwsError], str] = {
    AuthenticationError: "authentication failed",
    NotFoundError: "not found",
    ResourceGoneError: "does not exist",
    RejectedError: "rejected",
    ServerError: "server error",
}
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def from_transport(
    operation: str, exc: BaseException, *, action: bool, endpoint: str, secrets: Iterable[str]
) -> tuple[str, DwsError]:
    """(observer code, typed error) for an httpx failure.

    For an action only a failure before anything was sent (connect, pool) is a definite failure;
    any later one may have reached the service and is FailoverOutcomeUnknown.
    """
    timed_out = isinstance(exc, httpx.TimeoutException | TimeoutError) and not isinstance(
        exc, httpx.ConnectTimeout
    )
    code = "timeout" if timed_out else "unreachable"
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    hidden = tuple(secrets)
    if action and not isinstance(exc, _NOT_SENT):
        return code, FailoverOutcomeUnknown(operation, f"sent, then no answer ({what})", secrets=hidden)
    if timed_out:
        return code, RequestTimeout(operation, f"no answer in time ({what})", secrets=hidden)
    return code, UnreachableError(operation, f"cannot reach {endpoint} ({what})", secrets=hidden)


def from_response(
    operation: str, response: httpx.Response, *, action: bool, secrets: Iterable[str]
) -> DwsError:
    """The typed error of a 4xx/5xx answer, its code and message parsed the way the SDK parses them.

    For an action a 5xx is FailoverOutcomeUnknown: a gateway may time out after the service accepted.
    """
    body = _json_or_none(response)
    code, msg = error_fields(body)
    if not code and not msg:
        msg = response.text.strip()[:200] or None
    request_id = response.headers.get("X-Request-Id")
    if request_id is None and isinstance(body, dict) and isinstance(body.get("request_id"), str):
        request_id = body["request_id"]
    cls = classify_status(response.status_code, code, operation)
    kw: dict[str, Any] = {
        "status": response.status_code,
        "error_code": code or str(response.status_code),
        "error_msg": msg,
        "request_id": request_id,
        "secrets": tuple(secrets),
    }
    if action and cls is ServerError:
        return FailoverOutcomeUnknown(operation, "server error after the request was sent", **kw)
    if cls is ThrottledError:
        retry_after = _retry_after(response.headers.get("Retry-After"))
        return ThrottledError(operation, "throttled", retry_after=retry_after, **kw)
    return cls(operation, _MESSAGES.get(cls, "request failed"), **kw)


def malformed(
    operation: str, response: httpx.Response, exc: Exception, *, action: bool, secrets: Iterable[str]
) -> DwsError:
    """A 2xx we cannot read: MalformedResponseError, or for an action FailoverOutcomeUnknown."""
    kw: dict[str, Any] = {
        "status": response.status_code,
        "request_id": response.headers.get("X-Request-Id"),
        "secrets": tuple(secrets),
    }
    reason = _short_reason(exc)
    if action:
        return FailoverOutcomeUnknown(operation, f"answer unreadable: {reason}", **kw)
    return MalformedResponseError(operation, f"malformed answer: {reason}", **kw)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is ignored: the retry cap bounds the wait anyway)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86400 else None


def _short_reason(exc: Exception) -> str:
    """A one-line reason; pydantic's multi-line report is cut to its first lines."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3])[:200] if lines else type(exc).__name__
