"""The Kubernetes API server as the HA backends use it: JSON GET/POST/PUT over httpx with the service
account's bearer token (re-read on every request: the kubelet rotates it) and CA bundle, and where
to find the API server and the namespace in a pod when `ha.kubernetes` leaves them empty.

Why not the official client: the backend needs GET, POST and PUT of two object kinds; httpx is
already our one HTTP client, with the timeouts and transports the tests inject.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from watchdog.ha.settings import HaSettings

CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
_SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


class KubeError(RuntimeError):
    """The API server could not be reached or refused a request (the leadership is then uncertain)."""


class KubeConfigError(KubeError):
    """`ha.kubernetes` cannot be used here (not in a pod, a file missing): the daemon exits 2."""

    exit_code = 2


def micro_time(t: datetime) -> str:
    """A MicroTime as the API server writes it: RFC 3339 with microseconds, in UTC."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class KubeClient:
    """JSON GET/POST/PUT on the API server with the service account's bearer token, re-read from
    `token_path` on every request (the kubelet rotates projected tokens)."""

    def __init__(
        self,
        api_url: str,
        *,
        token_path: str,
        ca_path: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token_path = Path(token_path)
        verify: ssl.SSLContext | bool = True
        if api_url.startswith("https://") and transport is None:
            try:
                verify = ssl.create_default_context(cafile=ca_path)
            except OSError as exc:
                raise KubeConfigError(
                    f"ha.kubernetes.ca_path: cannot read {ca_path}: {exc.strerror}"
                ) from exc
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"), timeout=timeout, transport=transport, verify=verify
        )

    def _token(self) -> str:
        try:
            return self.token_path.read_text().strip()
        except OSError as exc:
            raise KubeError(
                f"ha.kubernetes.token_path: cannot read {self.token_path}: {exc.strerror}"
            ) from exc

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """(status, object) for 200, 201, 404 and 409; KubeError for anything else (no token in it)."""
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        try:
            resp = await self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise KubeError(f"kubernetes {method} {path}: {type(exc).__name__}: {exc}") from exc
        if resp.status_code in (401, 403):
            why = "token refused" if resp.status_code == 401 else "forbidden: check the Role"
            raise KubeError(f"kubernetes {method} {path}: HTTP {resp.status_code} ({why})")
        if resp.status_code not in (200, 201, 404, 409):
            raise KubeError(f"kubernetes {method} {path}: HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            data: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise KubeError(f"kubernetes {method} {path}: HTTP {resp.status_code}: not JSON") from exc
        return resp.status_code, data

    async def aclose(self) -> None:
        await self._http.aclose()


def api_url(setting: str, environ: Mapping[str, str]) -> str:
    """`ha.kubernetes.api_url`, or in the cluster the service's address from the pod's environment."""
    if setting:
        return setting
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        raise KubeConfigError(
            "ha.kubernetes.api_url: empty and KUBERNETES_SERVICE_HOST is not set (not in a pod)"
        )
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def namespace(setting: str, path: str = _SA_NAMESPACE) -> str:
    """`ha.kubernetes.namespace`, or the pod's own from the service account's files."""
    if setting:
        return setting
    try:
        found = Path(path).read_text().strip()
    except OSError as exc:
        raise KubeConfigError(
            f"ha.kubernetes.namespace: empty and {path} unreadable: {exc.strerror}"
        ) from exc
    if not found:
        raise KubeConfigError(f"ha.kubernetes.namespace: empty and {path} is empty")
    return found


def kube_client(ha: HaSettings, environ: Mapping[str, str] = os.environ) -> KubeClient:
    k = ha.kubernetes
    url = api_url(k.api_url, environ)
    return KubeClient(url, token_path=k.token_path, ca_path=k.ca_path, timeout=k.timeout_seconds)
