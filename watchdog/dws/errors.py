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

REDACTED = "***"
MAX_MESSAGE_CHARS = 300

# Codes the service uses for "this object does not exist", whatever HTTP status carries them
# (dws-api.md section 5): DR task unknown (a 400), cluster unknown (404, on some APIs 401 or 403), deleted.
NOT_FOUND_CODES = frozenset({"DWS.10101", "DWS.0047", "DWS.3027", "DWS.0015"})
THROTTLED_CODES = frozenset({"APIGW.0308"})
AUTH_CODE_PREFIX = "APIGW.03"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret (longest first) and cap the length of `text`."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
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
        self.request_id = request_id
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
    """The DR task or cluster does not exist (404, or DWS.10101 although the service sends it as a 400)."""

    kind = "not_found"


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


def classify_status(status: int, error_code: str | None) -> type[DwsError]:
    """The error class for an HTTP error answer.

    A 5xx is a server error whatever code it carries (a failing server is no evidence that an object
    is gone); below that, the service's code wins over the status where they disagree.
    """
    code = error_code or ""
    if status >= 500:
        return ServerError
    if code in NOT_FOUND_CODES:
        return NotFoundError
    if status == 429 or code in THROTTLED_CODES:
        return ThrottledError
    if status in (401, 403) or code.startswith(AUTH_CODE_PREFIX):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    return RejectedError
