"""SDK-HMAC-SHA256 request signing, byte for byte as the official `huaweicloudsdkcore` Signer does it.

The scheme (docs: shared dws-api.md section 6.3): sign every header whose name has no underscore,
over a canonical request whose URI always ends in '/', with HMAC-SHA256 keyed by the secret key and
no key derivation. The same functions verify signatures in the simulator, so client and gateway can
never disagree about the canonical form.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

QueryValue = str | int | bool | Sequence[str | int]


@dataclass(frozen=True)
class Credentials:
    """AK/SK credentials; with `security_token` they are temporary credentials.

    `repr` never shows the secret key or the token, so a credential in a log line or a traceback
    leaks nothing.
    """

    access_key: str
    secret_key: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TokenCredentials:
    """An IAM token (X-Auth-Token); the alternative to AK/SK."""

    token: str = field(repr=False)


def _encode(value: str) -> str:
    """RFC 3986 percent-encoding: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """Decode the path, encode each segment, and always end with '/'."""
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _native_sorted(items: Iterable[Any], fallback: Callable[[Any], Any]) -> list[Any]:
    """Sort as the SDK does (Python's own ordering, so 9 < 10); `fallback` only where types cannot compare."""
    items = list(items)
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=fallback)


def _query_text(value: object) -> list[str]:
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, list | tuple):
        return [str(v) for v in _native_sorted(value, str)]
    return [str(value)]


def canonical_query(params: Iterable[tuple[str, QueryValue]]) -> str:
    """Sorted `k=v` pairs joined by '&', each part percent-encoded."""
    parts: list[str] = []
    for key, value in _native_sorted(params, lambda kv: (kv[0], str(kv[1]))):
        parts.extend(f"{_encode(key)}={_encode(v)}" for v in _query_text(value))
    return "&".join(parts)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Every header name without an underscore, lower-cased and sorted."""
    return sorted(name.lower() for name in headers if "_" not in name)


def payload_hash(body: bytes | None, headers: Mapping[str, str]) -> str:
    """Hex SHA-256 of the body; the empty hash when there is none; or the declared UNSIGNED-PAYLOAD."""
    if not body:
        return EMPTY_SHA256
    declared = _get(headers, "X-Sdk-Content-Sha256")
    if declared:
        return declared
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, QueryValue]],
    headers: Mapping[str, str],
    signed: Sequence[str],
    body: bytes | None,
) -> str:
    """The six-part canonical request of the SDK signer."""
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    canonical_headers = "".join(f"{name}:{lowered.get(name, '')}\n" for name in signed)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            payload_hash(body, headers),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _get(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def sign_request(
    credentials: Credentials,
    method: str,
    host: str,
    path: str,
    query: Iterable[tuple[str, QueryValue]] = (),
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    *,
    project_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the headers to send: the given ones plus X-Project-Id, X-Security-Token, X-Sdk-Date,
    Host and Authorization, in the order and form the official SDK produces.

    `host` is the endpoint's netloc, with the port whenever the endpoint URL names one.
    """
    out = dict(headers or {})
    content_type = _get(out, "Content-Type")
    if body and content_type and not content_type.startswith(("application/json", "application/bson")):
        out["X-Sdk-Content-Sha256"] = UNSIGNED_PAYLOAD
    if project_id:
        out["X-Project-Id"] = project_id
    if credentials.security_token:
        out["X-Security-Token"] = credentials.security_token
    if _get(out, "X-Sdk-Date") is None:
        out["X-Sdk-Date"] = (now or datetime.now(UTC)).astimezone(UTC).strftime(DATE_FORMAT)
    if _get(out, "Host") is None:
        out["Host"] = host
    query_list = list(query)
    signed = signed_header_names(out)
    canonical = canonical_request(method, path, query_list, out, signed, body)
    sig = signature(credentials.secret_key, string_to_sign(canonical, str(_get(out, "X-Sdk-Date"))))
    out["Authorization"] = (
        f"{ALGORITHM} Access={credentials.access_key}, SignedHeaders={';'.join(signed)}, Signature={sig}"
    )
    return out


@dataclass(frozen=True)
class ParsedAuthorization:
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Parse `SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`; None when malformed."""
    if not value.startswith(ALGORITHM + " "):
        return None
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1 :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        return ParsedAuthorization(
            fields["Access"], tuple(h for h in fields["SignedHeaders"].split(";") if h), fields["Signature"]
        )
    except KeyError:
        return None


def verify_signature(
    secret_key: str,
    auth: ParsedAuthorization,
    method: str,
    path: str,
    query: Iterable[tuple[str, QueryValue]],
    headers: Mapping[str, str],
    body: bytes | None,
) -> bool:
    """Recompute the signature from the headers named in SignedHeaders, as the API gateway does."""
    sdk_date = _get(headers, "X-Sdk-Date")
    if sdk_date is None:
        return False
    canonical = canonical_request(method, path, query, headers, auth.signed_headers, body)
    expected = signature(secret_key, string_to_sign(canonical, sdk_date))
    return hmac.compare_digest(expected, auth.signature)


def parse_sdk_date(value: str) -> datetime | None:
    """The X-Sdk-Date header as an aware UTC datetime, or None when it is not in the SDK's format."""
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
