"""The fake Kubernetes API server and clients of it with a token file (the Kubernetes backend's tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.kube_api import KubeApiServer
from watchdog.ha.kube import KubeClient


@pytest.fixture
def kube_api() -> Iterator[KubeApiServer]:
    """A fresh fake API server on 127.0.0.1 for one test (it may freeze it)."""
    with KubeApiServer() as server:
        yield server


@pytest.fixture
def token_file(tmp_path: Path, kube_api: KubeApiServer) -> Path:
    """The service-account token file the API server accepts."""
    path = tmp_path / "token"
    path.write_text(kube_api.token + "\n")
    return path


def kube_client(api: KubeApiServer, token: Path, timeout: float = 0.5) -> KubeClient:
    return KubeClient(api.url, token_path=str(token), ca_path="/nonexistent", timeout=timeout)
