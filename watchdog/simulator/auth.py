"""The API gateway's authentication, as the simulator enforces it (dws-api.md sections 5, 6.3, 8.2).

AK/SK requests are verified by recomputing the SDK-HMAC-SHA256 signature with the same functions the
client signs with; X-Sdk-Date must be within 15 minutes of the *real* wall clock (the gateway's clock,
not the virtual one); temporary credentials must carry their X-Security-Token. Token requests
(X-Auth-Token) are accepted when the simulator issued that token. Messages never echo a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from watchdog.dws.signing import Credentials, parse_authorization, parse_sdk_date, verify_signature
from watchdog.simulator.pair import Rejected

MAX_SKEW = timedelta(minutes=15)
_IAM = "Incorrect IAM authentication information: "


def _denied(reason: str) -> Rejected:
    return Rejected(401, "APIGW.0301", _IAM + reason)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def authenticate(
    credentials: Mapping[str, tuple[Credentials, str]],
    tokens: Mapping[str, str],
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
    wall_now: datetime,
    lockout: Lockout | None = None,
) -> str:
    """The project the caller is authenticated for; raises Rejected (401) otherwise."""
    token = _header(headers, "X-Auth-Token")
    if token is not None:
        project = tokens.get(token)
        if project is None:
            raise _denied("decrypt token fail")
        return project
    auth_value = _header(headers, "Authorization")
    if auth_value is None:
        raise _denied("no Authorization or X-Auth-Token header")
    auth = parse_authorization(auth_value)
    if auth is None:
        raise _denied("unsupported or malformed Authorization header")
    entry = credentials.get(auth.access_key)
    if entry is None:
        raise _denied("Get secretKey failed, err:ak not exist")
    creds, project = entry
    if lockout is not None:
        lockout.check(auth.access_key, wall_now)
    try:
        _check_date(headers, wall_now)
        _check_token(creds, headers)
        if not verify_signature(creds.secret_key, auth, method, path, query, headers, body):
            raise _denied("verify aksk signature fail")
    except Rejected:
        if lockout is not None:
            lockout.failed(auth.access_key, wall_now)
        raise
    if lockout is not None:
        lockout.succeeded(auth.access_key)
    return project


class Lockout:
    """The gateway's AK lockout: `limit` consecutive failures lock the AK for `seconds` (real time).

    Off unless the simulator is built with `ak_lockout=True`, so tests of wrong keys stay independent.
    """

    def __init__(self, limit: int = 5, seconds: float = 300.0) -> None:
        self.limit = limit
        self.span = timedelta(seconds=seconds)
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, datetime] = {}

    def check(self, access_key: str, now: datetime) -> None:
        until = self._locked_until.get(access_key)
        if until is not None and now < until:
            raise _denied("the access key is locked after repeated authentication failures")

    def failed(self, access_key: str, now: datetime) -> None:
        count = self._failures.get(access_key, 0) + 1
        self._failures[access_key] = count
        if count >= self.limit:
            self._locked_until[access_key] = now + self.span
            self._failures[access_key] = 0

    def succeeded(self, access_key: str) -> None:
        self._failures.pop(access_key, None)


def _check_date(headers: Mapping[str, str], wall_now: datetime) -> None:
    raw = _header(headers, "X-Sdk-Date")
    sdk_date = parse_sdk_date(raw) if raw else None
    if sdk_date is None:
        raise _denied("X-Sdk-Date missing or not in the format YYYYMMDDTHHMMSSZ")
    if abs(wall_now - sdk_date) > MAX_SKEW:
        raise Rejected(401, "APIGW.0303", _IAM + "request expired: X-Sdk-Date is more than 15 minutes away")


def _check_token(creds: Credentials, headers: Mapping[str, str]) -> None:
    if creds.security_token is None:
        return
    sent = _header(headers, "X-Security-Token")
    if sent is None:
        raise _denied("temporary AK requires X-Security-Token")
    if sent != creds.security_token:
        raise _denied("verify security token fail")
