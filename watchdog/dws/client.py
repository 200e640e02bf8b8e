"""The async DWS API client: the only code in the watchdog that talks to the cloud.

What it guarantees, and why:
- Every request is signed exactly as the official SDK signs it (signing.py), or carries an IAM token.
- Every failure is one of the typed errors of errors.py; nothing from httpx or JSON escapes.
- Reads are retried on timeouts, connection errors, 5xx and 429, with bounded exponential backoff
  and jitter inside an overall deadline, sleeping on the injected Clock. A 4xx is never retried.
- Action POSTs (failover, switchover, recovery) are sent exactly once. If the request may have
  reached the service and no clear answer came back, the client raises FailoverOutcomeUnknown and
  the caller reads the DR task to learn what happened: retrying blindly could fail over twice.
- One httpx.AsyncClient (one connection pool) per DwsClient, reused across probe rounds.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from watchdog import __version__
from watchdog.clock import Clock, SystemClock
from watchdog.dws import errors, lists, models
from watchdog.dws.itemcache import ItemCache
from watchdog.dws.signing import Credentials, TokenCredentials, sign_request

log = logging.getLogger(__name__)
T = TypeVar("T")
Observer = Callable[[str, str, float], None]
Parser = Callable[[httpx.Response], T]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_CN_DOMAIN_REGIONS = frozenset({"cn-south-4", "cn-north-12", "cn-east-4", "tr-west-1", "ap-southeast-4"})
_EU_DOMAIN_REGIONS = frozenset({"eu-west-101"})


class Operation(StrEnum):
    """The SDK method name of each call: the `operation` label of the API metrics."""

    LIST_DISASTER_RECOVER = "list_disaster_recover"
    SHOW_DISASTER_DETAIL = "show_disaster_detail"
    SHOW_DISASTER_PROGRESS = "show_disaster_progress"
    LIST_CLUSTER_DETAILS = "list_cluster_details"
    LIST_CLUSTERS = "list_clusters"
    SWITCH_FAILOVER_DISASTER = "switch_failover_disaster"
    SWITCHOVER_DISASTER_RECOVERY = "switchover_disaster_recovery"
    RESTORE_DISASTER = "restore_disaster"


ACTIONS = frozenset(
    {Operation.SWITCH_FAILOVER_DISASTER, Operation.SWITCHOVER_DISASTER_RECOVERY, Operation.RESTORE_DISASTER}
)


@dataclass(frozen=True)
class RetryPolicy:
    """How reads are retried. Seconds throughout; `deadline` bounds a whole call, retries included.

    Delay before attempt n+1 is min(cap, base * 2**(n-1)) scaled by a random factor in [0.5, 1],
    so many watchdogs hitting one throttled gateway do not retry in lockstep.
    """

    attempts: int = 4
    base: float = 0.25
    cap: float = 4.0
    deadline: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("retry.attempts: must be at least 1")
        if self.base < 0 or self.cap < 0 or self.deadline <= 0:
            raise ValueError("retry: base and cap must be >= 0 and deadline > 0")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The pause after failed attempt number `attempt` (1-based)."""
        ceiling: float = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return ceiling * rng.uniform(0.5, 1.0)


def endpoint_for_region(region: str) -> str:
    """The DWS endpoint of a region, with the SDK's exceptions for the .eu and .cn domains."""
    if not _REGION.match(region):
        raise ValueError(f"region: {region!r} is not a region id like cn-north-4")
    domain = "myhuaweicloud.com"
    if region in _EU_DOMAIN_REGIONS:
        domain = "myhuaweicloud.eu"
    elif region in _CN_DOMAIN_REGIONS:
        domain = "myhuaweicloud.cn"
    return f"https://dws.{region}.{domain}"


def _split_endpoint(endpoint: str) -> tuple[str, str]:
    """(base URL, Host header): the Host keeps the port whenever the URL names one, as the SDK signs it."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"endpoint: {endpoint!r} is not an http(s) URL with a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("endpoint: must be scheme://host[:port] with no path, query or user info")
    return f"{parts.scheme}://{parts.netloc}", parts.netloc


def _check_id(field: str, value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{field}: {value[:60]!r} is not a valid id")
    return value


def _tls(verify: bool | str) -> bool | ssl.SSLContext:
    """True/False as given; a path is a CA bundle (file) or CA directory."""
    if isinstance(verify, bool):
        return verify
    try:
        if verify.endswith("/"):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"verify: cannot load the CA bundle {verify!r} ({exc.__class__.__name__})") from exc


class DwsClient:
    """A DWS API client for one endpoint and one project; use as an async context manager."""

    def __init__(
        self,
        endpoint: str,
        project_id: str,
        credentials: Credentials | TokenCredentials,
        *,
        verify: bool | str = True,
        timeout: float = 10.0,
        retry: RetryPolicy = RetryPolicy(),
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout: must be > 0 seconds")
        self.endpoint, self._host = _split_endpoint(endpoint)
        self.project_id = _check_id("project_id", project_id)
        self._credentials = credentials
        self._timeout = timeout
        self._retry = retry
        self._clock: Clock = clock or SystemClock()
        self._observer = observer
        self._rng = random.Random()
        self._items = ItemCache()  # the last list answers' item models, reused while unchanged
        self._http = httpx.AsyncClient(
            base_url=self.endpoint,
            verify=_tls(verify) if transport is None else True,
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc picked up from the environment: we talk where told
        )

    def __repr__(self) -> str:
        return f"DwsClient(endpoint={self.endpoint!r}, project_id={self.project_id!r})"

    async def __aenter__(self) -> DwsClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ------------------------------------------------------------------------------ operations
    async def list_disaster_recoveries(self) -> list[models.DisasterRecovery]:
        """Every DR task of the project (one call serves every pair of the project)."""
        path = f"/v2/{self.project_id}/disaster-recoveries"
        return await self._call(Operation.LIST_DISASTER_RECOVER, path, self._list(lists.dr_list))

    async def show_disaster_recovery(self, dr_id: str) -> models.DisasterRecoveryDetail:
        path = f"/v2/{self.project_id}/disaster-recovery/{_check_id('disaster_recovery_id', dr_id)}"
        return await self._call(Operation.SHOW_DISASTER_DETAIL, path, _json(models.parse_dr_detail))

    async def show_disaster_progress(self, dr_id: str) -> models.DisasterRecoveryProgress:
        dr = _check_id("disaster_recovery_id", dr_id)
        path = f"/v1/{self.project_id}/disaster-recovery/{dr}/show-progress"
        return await self._call(Operation.SHOW_DISASTER_PROGRESS, path, _json(models.parse_dr_progress))

    async def show_cluster(self, cluster_id: str) -> models.ClusterDetail:
        path = f"/v1.0/{self.project_id}/clusters/{_check_id('cluster_id', cluster_id)}"
        return await self._call(Operation.LIST_CLUSTER_DETAILS, path, _json(models.parse_cluster_detail))

    async def list_clusters(self) -> list[models.ClusterInfo]:
        path = f"/v1.0/{self.project_id}/clusters"
        return await self._call(Operation.LIST_CLUSTERS, path, self._list(lists.cluster_list))

    async def failover(self, dr_id: str) -> str:
        """Submit a DR failover. Never retried.

        Returns the accepted POST's X-Request-Id (the handle the cloud's support asks for; "" if the
        gateway sent none): the answer body only echoes the DR id, which is checked, not returned.
        """
        return await self._action(Operation.SWITCH_FAILOVER_DISASTER, dr_id, "failover")

    async def switchover(self, dr_id: str) -> str:
        """Submit a planned DR switchover. Never retried."""
        return await self._action(Operation.SWITCHOVER_DISASTER_RECOVERY, dr_id, "switchover")

    async def recovery(self, dr_id: str) -> str:
        """Submit DR recovery (switchback) after a failover. Never retried."""
        return await self._action(Operation.RESTORE_DISASTER, dr_id, "recovery")

    async def _action(self, operation: Operation, dr_id: str, verb: str) -> str:
        dr = _check_id("disaster_recovery_id", dr_id)
        path = f"/v2/{self.project_id}/disaster-recovery/{dr}/{verb}"
        return await self._attempt(operation, "POST", path, _acknowledged, self._timeout)

    # ------------------------------------------------------------------------------ the engine
    async def _call(self, operation: Operation, path: str, parse: Parser[T]) -> T:
        """A read with retries inside the policy's deadline."""
        deadline = self._clock.monotonic() + self._retry.deadline
        attempt = 0
        while True:
            attempt += 1
            budget = max(0.001, min(self._timeout, deadline - self._clock.monotonic()))
            try:
                return await self._attempt(operation, "GET", path, parse, budget)
            except errors.DwsError as exc:
                delay = self._retry_delay(exc, attempt, deadline)
                if delay is None:
                    raise
            await self._clock.sleep(delay)

    def _retry_delay(self, exc: errors.DwsError, attempt: int, deadline: float) -> float | None:
        """The pause before the next attempt, or None when we must give up now."""
        if not exc.retriable or attempt >= self._retry.attempts:
            return None
        delay = self._retry.backoff(attempt, self._rng)
        if isinstance(exc, errors.ThrottledError) and exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, self._retry.cap))
        if self._clock.monotonic() + delay >= deadline:
            return None
        return delay

    async def _attempt(
        self, operation: Operation, method: str, path: str, parse: Parser[T], timeout: float
    ) -> T:
        """One HTTP exchange, reported to the observer once, whatever its outcome."""
        started = self._clock.monotonic()
        code = "unreachable"
        try:
            try:
                response = await self._send(method, path, timeout)
            except (httpx.TransportError, TimeoutError) as exc:
                code, error = errors.from_transport(
                    operation,
                    exc,
                    action=operation in ACTIONS,
                    endpoint=self.endpoint,
                    secrets=self._secrets(),
                )
                raise error from exc
            code = str(response.status_code)
            if response.status_code >= 400:
                raise errors.from_response(
                    operation, response, action=operation in ACTIONS, secrets=self._secrets()
                )
            code = "malformed"  # until the answer has parsed
            result = self._parse(operation, response, parse)
            code = str(response.status_code)
            return result
        finally:
            self._observe(operation, code, self._clock.monotonic() - started)

    async def _send(self, method: str, path: str, timeout: float) -> httpx.Response:
        request = self._http.build_request(method, path, headers=self._headers(method, path), timeout=timeout)
        async with asyncio.timeout(timeout + 1.0):  # bounds a server that trickles its answer
            return await self._http.send(request)

    def _headers(self, method: str, path: str) -> dict[str, str]:
        """The SDK's headers: Content-Type on every call, X-Project-Id, then the signature or token."""
        base = {"Content-Type": "application/json", "User-Agent": f"dr-watchdog/{__version__}"}
        creds = self._credentials
        if isinstance(creds, TokenCredentials):
            return {**base, "X-Project-Id": self.project_id, "X-Auth-Token": creds.token}
        return sign_request(
            creds, method, self._host, path, (), base, None, project_id=self.project_id, now=self._clock.now()
        )

    def _secrets(self) -> tuple[str, ...]:
        creds = self._credentials
        if isinstance(creds, TokenCredentials):
            return (creds.token,)
        return tuple(s for s in (creds.access_key, creds.secret_key, creds.security_token) if s)

    def _parse(self, operation: Operation, response: httpx.Response, parse: Parser[T]) -> T:
        """The parsed answer of a 2xx; anything unreadable is malformed (or, for an action, unknown)."""
        status = response.status_code
        try:
            if not 200 <= status < 300:
                raise ValueError(f"unexpected HTTP {status}")
            return parse(response)
        except (ValueError, RecursionError) as exc:
            raise errors.malformed(
                operation, response, exc, action=operation in ACTIONS, secrets=self._secrets()
            ) from exc

    def _list(self, parse: Callable[[bytes, ItemCache], T]) -> Parser[T]:
        """A list answer's parser: from its bytes, unchanged items' models from this client's cache."""
        return lambda response: parse(response.content, self._items)

    def _observe(self, operation: Operation, code: str, seconds: float) -> None:
        if self._observer is None:
            return
        try:
            self._observer(operation.value, code, max(0.0, seconds))
        except Exception:  # a metrics bug must never break a probe
            log.exception("DWS client observer failed")


def _json(parse: Callable[[Any], T]) -> Parser[T]:
    """A model parser applied to the answer's JSON body."""
    return lambda response: parse(response.json())


def _acknowledged(response: httpx.Response) -> str:
    """The request id of an accepted action, once its body proved to be the documented acknowledgement."""
    models.parse_action(response.json())
    return str(response.headers.get("X-Request-Id", ""))
